CREATE TABLE IF NOT EXISTS stores (id int, tel_no varchar(40));
