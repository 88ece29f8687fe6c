-- PostgreSQL setup for DataClauses (run once as a superuser).
-- The gateway migrates its schema at start with the owner role; the audit table's append-only trigger is
-- created by the migration. Keep the owner's password in a secret store.
CREATE ROLE dataclauses_owner LOGIN PASSWORD 'change-me-owner';
CREATE DATABASE dataclauses OWNER dataclauses_owner;
-- Durable commits are required for the audit chain's guarantees.
ALTER SYSTEM SET synchronous_commit = 'on';
ALTER SYSTEM SET fsync = 'on';
