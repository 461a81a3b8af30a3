"""The "Daftar Pencairan" flow: type, requirements, form, personal data, confirmation, receipt."""
