"""Scheduled tasks (定时任务管理, manual 四.2.4): installed plugins (entry point group
``esign.tasks``) run by interval or cron expression, each occurrence once across all nodes."""
