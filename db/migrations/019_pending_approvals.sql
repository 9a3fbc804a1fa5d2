-- The approvals queue (pendingApprovals) reads waiting incidents by deadline: a small partial index keeps that
-- read cheap however many incidents a company has closed.
CREATE INDEX IF NOT EXISTS incidents_pending_approval_deadline
  ON incidents (approval_deadline, id) WHERE status = 'awaiting_approval';
