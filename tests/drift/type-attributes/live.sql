CREATE TYPE pair AS (a int, b varchar(10));
