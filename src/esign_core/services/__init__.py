"""Use cases: functions taking a command and their ports by keyword."""
