"""The application shell: the command line and what each command does around the fix loop."""
