-- The poll reserves many texts in one statement: several may count against one number's day, so
-- the statement needs to know how many of them its increment let through.
--   daily_text_counts.granted   texts the last reservation let through (its increment after the
--                               limit), read back in the same statement's RETURNING clause
ALTER TABLE daily_text_counts ADD COLUMN granted integer NOT NULL DEFAULT 0;
