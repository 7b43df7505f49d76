"""The Flask edge: the extension, its live-check API, validators, signals and the admin blueprint."""
