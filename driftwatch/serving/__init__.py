"""The prediction API: ``driftwatch.serving.app.create_app`` builds it."""
