-- PostgreSQL setup for DataClauses: two roles, neither a superuser.
--   owner   (DATACLAUSES_OWNER_ROLE, default dataclauses_owner): owns the database and the schema; runs
--           `dotnet DataClauses.Gateway.dll --migrate`, which migrates and grants the runtime role its rights.
--   runtime (DATACLAUSES_RUNTIME_ROLE, default dataclauses_app): what the gateway connects as. It owns none of the
--           migrated tables, so it cannot alter or drop them or their triggers, and --migrate grants it no UPDATE,
--           DELETE or TRUNCATE on the audit tables.
--
-- Run by the postgres image's entrypoint (/docker-entrypoint-initdb.d), which has already created POSTGRES_USER and
-- POSTGRES_DB and runs this file in POSTGRES_DB as
--     psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname "$POSTGRES_DB"
-- or by hand, as a superuser, in the database the gateway will use. Passwords come from the environment:
--     DATACLAUSES_OWNER_PASSWORD, DATACLAUSES_RUNTIME_PASSWORD (required; psql 15 or later for \getenv).
-- Tested as written by tests/DataClauses.Gateway.FunctionalTests/Deploy/DeploymentSqlTests.cs.

\getenv owner_role DATACLAUSES_OWNER_ROLE
\if :{?owner_role}
\else
  \set owner_role dataclauses_owner
\endif
\getenv runtime_role DATACLAUSES_RUNTIME_ROLE
\if :{?runtime_role}
\else
  \set runtime_role dataclauses_app
\endif
\getenv owner_password DATACLAUSES_OWNER_PASSWORD
\getenv runtime_password DATACLAUSES_RUNTIME_PASSWORD
\if :{?owner_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'DATACLAUSES_OWNER_PASSWORD is not set'; END $$;
\endif
\if :{?runtime_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'DATACLAUSES_RUNTIME_PASSWORD is not set'; END $$;
\endif

CREATE ROLE :"owner_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"runtime_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'runtime_password';

-- The owner owns this database and its public schema (so it creates the tables and triggers); nobody else may
-- create in it unless granted (--migrate grants the runtime role CREATE for the tables of dataset versions).
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'owner_role') \gexec
ALTER SCHEMA public OWNER TO :"owner_role";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'runtime_role') \gexec

-- Durable commits are required by the audit chain's guarantees: they are PostgreSQL's defaults; compose.yaml and
-- the Helm chart pass them on the server's command line rather than by ALTER SYSTEM here.
