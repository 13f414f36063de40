-- devstack only (not part of Supabase): settings the project's migrations
-- read, chosen for a local development stack. Idempotent.
--
--   workflow_chat.webhook_allow_private = on
--       lets webhooks point at local endpoints (http://127.0.0.1:...), which
--       is how webhooks are developed and tested here. The migrations refuse
--       loopback and private hosts unless this is on; a Supabase project
--       leaves it unset.

do $$
begin
    execute format('alter database %I set workflow_chat.webhook_allow_private = %L', current_database(), 'on');
end
$$;
