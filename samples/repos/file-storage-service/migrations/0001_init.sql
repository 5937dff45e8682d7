CREATE TABLE media (id text CHECK (id LIKE 'med_%'));
