-- The audit log is searched by a span of days.
CREATE INDEX audit_events_occurred ON audit_events (occurred_at);
