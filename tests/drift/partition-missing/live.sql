CREATE TABLE ev (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
