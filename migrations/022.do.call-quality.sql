-- How a live call sounded, measured on its stream (lib/live-call/quality.ts): written when the stream ends.
ALTER TABLE call_conversation ADD COLUMN quality jsonb;
