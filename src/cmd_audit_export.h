/* 'mcurelease audit export' and 'audit verify-export', for cmd_audit.c's table. */
#ifndef MCR_CMD_AUDIT_EXPORT_H
#define MCR_CMD_AUDIT_EXPORT_H

/* Writes a compliance export (json, csv, html, pdf, bundle) of the audit log. */
int mcr_cmd_audit_export(int argc, char **argv);
/* Checks a bundle offline. Exit 1 with a reason code if it does not verify. */
int mcr_cmd_audit_verify_export(int argc, char **argv);

#endif
