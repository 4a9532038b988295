-- Drop exactly what practice-create.sql made, without CASCADE.
DROP TABLE IF EXISTS parlant_training.practice;
DROP SCHEMA IF EXISTS parlant_training;
