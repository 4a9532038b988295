import type { ReactNode } from 'react';
import { assertNever, type DecisionRequest } from '../../core/events.js';
import { useRunView } from '../contexts.js';
import { ChecklistPrompt } from './ChecklistPrompt.js';
import { ChoicePrompt } from './ChoicePrompt.js';
import { ConfirmPrompt } from './ConfirmPrompt.js';
import { OnFailurePrompt } from './OnFailurePrompt.js';
import { ResumePrompt } from './ResumePrompt.js';
import { TypeToConfirmPrompt } from './TypeToConfirmPrompt.js';

/**
 * The prompt for the open request. Its keys are live only while no question or overlay covers it. Keyed by
 * the request id, so a new question never inherits the last one's cursor or half-typed text.
 */
export function PromptPane({ request, width, height }: { request: DecisionRequest; width: number; height: number }): ReactNode {
  const v = useRunView();
  const active = v.ui.question === null && v.ui.overlay === 'none' && !v.ui.aborting;
  const common = { width, height, active };
  switch (request.kind) {
    case 'confirm':
      return <ConfirmPrompt key={request.id} request={request} {...common} />;
    case 'type-to-confirm':
      return <TypeToConfirmPrompt key={request.id} request={request} env={v.run.target?.env} {...common} />;
    case 'choose':
      return <ChoicePrompt key={request.id} request={request} {...common} />;
    case 'checklist':
      return <ChecklistPrompt key={request.id} request={request} {...common} />;
    case 'on-failure':
      return <OnFailurePrompt key={request.id} request={request} {...common} />;
    case 'resume-in-flight':
      return <ResumePrompt key={request.id} request={request} {...common} />;
    case 'proceed':
      return null; // the gate is drawn by the pane itself
    default:
      return assertNever(request);
  }
}
