-- A campaign's own caller numbers, out of the server's pool (EXOTEL_CALLER_IDS): its calls are placed from them in
-- turn. Null: the whole pool.
ALTER TABLE campaign ADD COLUMN caller_ids text[];
