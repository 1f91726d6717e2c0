"""In-app notifications (站内通知)."""
