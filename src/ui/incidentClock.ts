/** The incident clock's rules live in core (the report's timeline reads them too); the screen imports them from here. */
export * from '../core/incidentClock.js';
