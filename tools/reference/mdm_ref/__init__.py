"""PyTorch reference of MDM as defined by the project's MDM spec and docs/MODEL.md."""
