CREATE TABLE ev (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ev_old (id bigint, at date NOT NULL);
