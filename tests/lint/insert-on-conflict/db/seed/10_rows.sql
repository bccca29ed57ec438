INSERT INTO status (id, name) VALUES (10, 'dev');
