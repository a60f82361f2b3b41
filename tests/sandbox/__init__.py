"""The project's SES sandbox: moto in server mode, with SES (v1 subset and v2) answered by the project.

Not part of the built collection (galaxy.yml build_ignore). See docs/sandbox.md.
"""
