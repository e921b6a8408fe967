-- The fields of a customer an operator changed by hand (name, phone, email, language, attributes.<header>): a later
-- upload leaves them as they are, so an edit is not lost when an older file is uploaded again.
ALTER TABLE customer ADD COLUMN edited_fields text[] NOT NULL DEFAULT '{}';
