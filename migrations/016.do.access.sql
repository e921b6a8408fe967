-- Every token of a user issued before not_before is refused (their role changed, or they were disabled); rows
-- of single revoked tokens (logout) have none. The key of a user's row is 'user:' and their Cognito sub.
ALTER TABLE revoked_token ADD COLUMN not_before timestamptz;

-- The first person to sign in to an empty deployment becomes its administrator: this row makes it one person even
-- when two sign in at once.
CREATE TABLE first_admin (
  only_one boolean PRIMARY KEY DEFAULT true CHECK (only_one),
  sub text NOT NULL,
  made_at timestamptz NOT NULL DEFAULT now()
);
