"""ComponentResources of the application stack, one per AWS concern (image, IAM roles, task, routing, service)."""
