-- session settings for every apply
SET lock_timeout = '5s';
SET statement_timeout = '60s';
