CREATE TABLE IF NOT EXISTS status (id int PRIMARY KEY, name text);
INSERT INTO status (id, name) VALUES (1, 'new');
INSERT INTO status (id, name) VALUES (2, 'done') ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;
INSERT INTO status (id, name) SELECT 3, 'gone' WHERE NOT EXISTS (SELECT 1 FROM status WHERE id = 3);
