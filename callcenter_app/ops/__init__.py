"""Operations: backups and the restore drill, recording retention.

- ``drill.py`` (pure): which backup set is the latest, the rows a mysqldump file holds per table, and the
  comparison the drill prints;
- ``service.py``: the restore drill on a bench (restore into a scratch site, count, drop it);
- ``tasks.py``: the daily backup with files and the recordings retention job.
"""
