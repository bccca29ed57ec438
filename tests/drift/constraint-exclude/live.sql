CREATE TABLE r (during tstzrange);
