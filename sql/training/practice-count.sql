SELECT count(*)::int AS practice_rows FROM parlant_training.practice
