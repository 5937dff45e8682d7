CREATE TABLE work_orders (cost_micros bigint);
CREATE INDEX CONCURRENTLY wo_t ON work_orders (1);
