"""What the portal keeps about itself: the audit log and the e-mail outbox."""
