-- Runs first on every apply: settings for the statements that follow.
SET client_min_messages = notice;
SET search_path = public;
