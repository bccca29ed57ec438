CREATE TABLE stores (id int, tel_no varchar(20));
