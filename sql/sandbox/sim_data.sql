-- Synthetic, Sim-like data for the parlant-runbook sandbox. Run after the table part of sim_base.sql.
--
-- Everything is generated set-based (INSERT … SELECT over generate_series): one statement per table, no row-by-row
-- round trips, so scale 100 (≈ 2.5 million rows) builds in seconds.
--
-- Scale comes from the custom setting parlant.scale (an integer, 1 to 1000; default 1), never from text pasted
-- into this file:
--   SELECT set_config('parlant.scale', '10', false);   -- what the sandbox builder does
--   PGOPTIONS='-c parlant.scale=10' psql -f sql/sandbox/sim_data.sql   -- by hand
--
-- Row counts at scale s (exact; the integration tests assert them):
--   "user" 2000·s   workspace 1000·s   workflow 10000·s   api_key 3000·s (1000·s workspace, 2000·s personal)
--   knowledge_base 1500·s   custom_tools 1000·s   mcp_servers 800·s   workflow_blocks 6000·s (3 on every 5th workflow)
--
-- Content is deterministic where other tables depend on it (ids, owners, sign-up times are functions of the row
-- number, so a child row can name its parent without a join); the rest uses random() after a fixed setseed.
-- Timestamps lie in the two years before now: users sign up along a growth curve, and what a user owns is
-- created after that user signed up.

-- JIT compiles each of these one-shot statements for longer than they take to run (≈100 ms each at scale 1);
-- this session only loads data, so it goes without.
SET jit = off;

CREATE TEMP TABLE sim_params AS
SELECT s AS scale,
       2000 * s AS users,
       1000 * s AS workspaces,
       10000 * s AS workflows,
       3000 * s AS api_keys,
       1500 * s AS knowledge_bases,
       1000 * s AS custom_tools,
       800 * s AS mcp_servers,
       localtimestamp(0) - interval '730 days' AS t_start,
       localtimestamp(0) AS t_now
FROM (SELECT coalesce(nullif(current_setting('parlant.scale', true), ''), '1')::bigint AS s) AS setting;
ANALYZE sim_params;   -- one row, not the 750 a never-analyzed temp table is assumed to hold

DO $$
DECLARE
  s bigint := (SELECT scale FROM sim_params);
BEGIN
  IF s < 1 OR s > 1000 THEN
    RAISE EXCEPTION 'parlant.scale must be an integer from 1 to 1000 (got %)', s;
  END IF;
  PERFORM setseed(0.4242);   -- reproducible random() for the rest of this session
END
$$;

-- Helpers live in pg_temp: they vanish with the session and never show up in the Sim schema the runbook inspects.
-- They are written so that the planner inlines them (a call that is not inlined costs microseconds, times
-- millions of rows): only immutable operations (hence `i::text`, since `text || bigint` is merely stable), and no
-- parameter that receives an expensive expression used twice.
CREATE FUNCTION pg_temp.sim_user_id(i bigint) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$ SELECT md5('user:' || i::text) $$;   -- 32 characters, like better-auth's ids
CREATE FUNCTION pg_temp.sim_uuid(kind text, i bigint) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$ SELECT md5(kind || ':' || i::text)::uuid::text $$;   -- crypto.randomUUID()-shaped
CREATE FUNCTION pg_temp.sim_owner(ws bigint, users bigint) RETURNS bigint IMMUTABLE LANGUAGE sql
  AS $$ SELECT 1 + (ws * 7919) % users $$;   -- some users own several workspaces, most own none
CREATE FUNCTION pg_temp.sim_signup(i bigint, users bigint, t0 timestamp, t1 timestamp) RETURNS timestamp IMMUTABLE LANGUAGE sql
  AS $$ SELECT t0 + (t1 - t0) * sqrt((i - 1)::float8 / users) $$;   -- growth: more sign-ups recently
CREATE FUNCTION pg_temp.sim_between(t timestamp, t1 timestamp, r float8) RETURNS timestamp IMMUTABLE LANGUAGE sql
  AS $$ SELECT date_trunc('second', t1 - (t1 - t) * (1 - r)) $$;   -- a point in [t, t1]; t appears once (see above)
CREATE FUNCTION pg_temp.sim_pick(choices text[], i bigint) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$ SELECT choices[1 + (i % cardinality(choices))] $$;
CREATE FUNCTION pg_temp.sim_first_name(i bigint) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$ SELECT pg_temp.sim_pick(ARRAY['Ada','Alan','Amara','Andrei','Aiko','Beatriz','Bilal','Camille','Carlos','Chen',
    'Dana','Diego','Elif','Emma','Farah','Felix','Grace','Hana','Hugo','Ines','Ivan','Jamal','Jia','Jonas','Kaia','Kofi',
    'Lars','Leila','Liam','Lucia','Maya','Mateo','Mei','Nadia','Noah','Olga','Omar','Priya','Rafael','Rosa','Sami',
    'Sofia','Tariq','Tomas','Uma','Valentina','Wei','Yusuf','Zara','Zoe'], i * 7) $$;
CREATE FUNCTION pg_temp.sim_last_name(i bigint) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$ SELECT pg_temp.sim_pick(ARRAY['Adeyemi','Andersson','Bauer','Becker','Chen','Costa','Dubois','Fernandes','Fischer',
    'Garcia','Gonzalez','Haddad','Hansen','Hoffmann','Ivanova','Jensen','Kaya','Kim','Kowalski','Kumar','Larsen','Lee',
    'Lopez','Martin','Meyer','Moreau','Mueller','Nakamura','Nguyen','Novak','Okafor','Park','Patel','Petrov','Popescu',
    'Rossi','Santos','Sato','Schmidt','Silva','Singh','Smith','Suzuki','Tanaka','Wagner','Wang','Weber','Yilmaz',
    'Zhang','Zhou'], i * 11) $$;

INSERT INTO "user" (id, name, email, email_verified, image, created_at, updated_at, stripe_customer_id)
SELECT pg_temp.sim_user_id(i),
       v.fn || ' ' || v.ln,
       lower(v.fn) || '.' || lower(v.ln) || i || '@'
         || pg_temp.sim_pick(ARRAY['gmail.com','outlook.com','proton.me','acme.io','northwind.dev','initech.com',
                                   'globex.co','umbrella.ai','hooli.xyz','fastmail.com'], i * 13),
       i % 10 <> 0,
       CASE WHEN i % 3 = 0 THEN 'https://lh3.googleusercontent.com/a/' || left(md5('avatar:' || i), 22) END,
       v.c,
       pg_temp.sim_between(v.c, p.t_now, random()),
       CASE WHEN i % 4 = 0 THEN 'cus_' || left(md5('stripe:' || i), 14) END
FROM sim_params p
CROSS JOIN generate_series(1, p.users) AS i
CROSS JOIN LATERAL (
  SELECT pg_temp.sim_first_name(i) AS fn, pg_temp.sim_last_name(i) AS ln,
         date_trunc('second', pg_temp.sim_signup(i, p.users, p.t_start, p.t_now)) AS c
) AS v;

INSERT INTO workspace (id, name, owner_id, created_at, updated_at)
SELECT pg_temp.sim_uuid('workspace', j),
       CASE WHEN j % 3 = 0 THEN pg_temp.sim_first_name(o.o) || '''s Workspace'
            ELSE pg_temp.sim_pick(ARRAY['Acme','Northwind','Initech','Globex','Hooli','Umbrella','Stark','Wayne',
                                        'Tyrell','Soylent','Cyberdyne','Aperture'], j * 5)
                 || ' ' || pg_temp.sim_pick(ARRAY['Support','Sales Ops','Growth','Platform','Data','Research',
                                                  'Marketing','Finance','Security','Onboarding','Success'], j * 3) END,
       pg_temp.sim_user_id(o.o),
       v.c,
       pg_temp.sim_between(v.c, p.t_now, random())
FROM sim_params p
CROSS JOIN generate_series(1, p.workspaces) AS j
CROSS JOIN LATERAL (SELECT pg_temp.sim_owner(j, p.users) AS o) AS o
CROSS JOIN LATERAL (
  SELECT pg_temp.sim_between(pg_temp.sim_signup(o.o, p.users, p.t_start, p.t_now), p.t_now, random()) AS c
) AS v;

-- 90 % of workflows live in a workspace and belong to its owner; every 10th is a legacy personal workflow.
INSERT INTO workflow (id, user_id, workspace_id, name, description, color, last_synced, created_at, updated_at,
                      is_deployed, deployed_at, run_count, last_run_at, variables)
SELECT pg_temp.sim_uuid('workflow', k),
       pg_temp.sim_user_id(v.u),
       CASE WHEN v.w IS NOT NULL THEN pg_temp.sim_uuid('workspace', v.w) END,
       pg_temp.sim_pick(ARRAY['Customer Support Triage','Lead Enrichment','Invoice Extraction','Daily Digest',
                              'Slack Summarizer','Ticket Router','RAG Q&A','Churn Alert','Onboarding Emails',
                              'PR Reviewer','Meeting Notes','Web Scraper','CRM Sync','Refund Approval',
                              'Content Moderation','Translation Pipeline'], k * 3)
         || CASE WHEN k % 4 = 0 THEN ' v' || (1 + k % 5) ELSE '' END,
       CASE WHEN k % 5 < 3 THEN pg_temp.sim_pick(ARRAY[
         'Classifies inbound messages and routes them to the right team.',
         'Pulls new records, enriches them with an LLM and writes them back.',
         'Runs every morning and posts a summary to Slack.',
         'Answers questions from the knowledge base with citations.',
         'Extracts fields from PDFs and validates totals.'], k) END,
       pg_temp.sim_pick(ARRAY['#3972F6','#F639DD','#F6B539','#8139F6','#39B54A','#39B5AB','#F66839','#2FA1FF'], k * 7),
       v.updated,
       v.created,
       v.updated,
       k % 3 = 0,
       CASE WHEN k % 3 = 0 THEN pg_temp.sim_between(v.created, v.updated, random()) END,
       CASE WHEN k % 4 = 0 THEN 0 ELSE (power(random(), 3) * 5000)::int END,
       CASE WHEN k % 4 <> 0 THEN pg_temp.sim_between(v.created, p.t_now, random()) END,
       CASE WHEN k % 7 = 0
            THEN json_build_object(pg_temp.sim_uuid('variable', k),
                   json_build_object('id', pg_temp.sim_uuid('variable', k), 'workflowId', pg_temp.sim_uuid('workflow', k),
                                     'name', 'apiBase', 'type', 'string', 'value', 'https://api.example.com/v' || (1 + k % 3)))
            ELSE '{}'::json END
FROM sim_params p
CROSS JOIN generate_series(1, p.workflows) AS k
CROSS JOIN LATERAL (SELECT CASE WHEN k % 10 <> 0 THEN 1 + (k * 37) % p.workspaces END AS w) AS ws
CROSS JOIN LATERAL (
  SELECT ws.w,
         CASE WHEN ws.w IS NOT NULL THEN pg_temp.sim_owner(ws.w, p.users) ELSE 1 + (k * 104729) % p.users END AS u
) AS owner
CROSS JOIN LATERAL (
  SELECT owner.w, owner.u,
         pg_temp.sim_between(pg_temp.sim_signup(owner.u, p.users, p.t_start, p.t_now), p.t_now, random()) AS created
) AS c
CROSS JOIN LATERAL (SELECT c.w, c.u, c.created, pg_temp.sim_between(c.created, p.t_now, random()) AS updated) AS v;

-- Every 3rd key is a workspace key (created by the workspace owner); the rest are personal keys. Both satisfy
-- workspace_type_check.
INSERT INTO api_key (id, user_id, workspace_id, created_by, name, key, type, last_used, expires_at, created_at, updated_at)
SELECT pg_temp.sim_uuid('api_key', a),
       pg_temp.sim_user_id(v.u),
       CASE WHEN v.w IS NOT NULL THEN pg_temp.sim_uuid('workspace', v.w) END,
       CASE WHEN v.w IS NOT NULL THEN pg_temp.sim_user_id(v.u) END,
       pg_temp.sim_pick(ARRAY['Default','Production','Staging','CI deploy','Zapier','n8n bridge','Local dev',
                              'Webhook relay','Analytics export','Support bot'], a * 3),
       'sk-sim-' || md5('api-key:' || a),
       CASE WHEN v.w IS NOT NULL THEN 'workspace' ELSE 'personal' END,
       CASE WHEN a % 10 < 7 THEN pg_temp.sim_between(v.c, p.t_now, random()) END,
       CASE WHEN a % 5 = 0 THEN v.c + interval '1 day' * (30 + (a % 365)) END,
       v.c,
       pg_temp.sim_between(v.c, p.t_now, random())
FROM sim_params p
CROSS JOIN generate_series(1, p.api_keys) AS a
CROSS JOIN LATERAL (SELECT CASE WHEN a % 3 = 0 THEN 1 + (a * 13) % p.workspaces END AS w) AS ws
CROSS JOIN LATERAL (
  SELECT ws.w,
         CASE WHEN ws.w IS NOT NULL THEN pg_temp.sim_owner(ws.w, p.users) ELSE 1 + (a * 9973) % p.users END AS u
) AS owner
CROSS JOIN LATERAL (
  SELECT owner.w, owner.u,
         pg_temp.sim_between(pg_temp.sim_signup(owner.u, p.users, p.t_start, p.t_now), p.t_now, random()) AS c
) AS v;

-- Two thirds of knowledge bases belong to a workspace; one in twenty is soft-deleted.
INSERT INTO knowledge_base (id, user_id, workspace_id, name, description, token_count, embedding_model,
                            embedding_dimension, chunking_config, deleted_at, created_at, updated_at)
SELECT pg_temp.sim_uuid('knowledge_base', b),
       pg_temp.sim_user_id(v.u),
       CASE WHEN v.w IS NOT NULL THEN pg_temp.sim_uuid('workspace', v.w) END,
       pg_temp.sim_pick(ARRAY['Product Docs','Support Macros','HR Handbook','API Reference','Sales Playbook',
                              'Release Notes','Security Policies','FAQ','Onboarding Guide','Legal Templates'], b * 3),
       CASE WHEN b % 2 = 0 THEN 'Documents uploaded from the team drive.' END,
       (random() * 2000000)::int,
       'text-embedding-3-small',
       1536,
       CASE WHEN b % 6 = 0 THEN '{"maxSize": 2048, "minSize": 100, "overlap": 400}'::json
            ELSE '{"maxSize": 1024, "minSize": 1, "overlap": 200}'::json END,
       CASE WHEN b % 20 = 0 THEN pg_temp.sim_between(v.c, p.t_now, random()) END,
       v.c,
       pg_temp.sim_between(v.c, p.t_now, random())
FROM sim_params p
CROSS JOIN generate_series(1, p.knowledge_bases) AS b
CROSS JOIN LATERAL (SELECT CASE WHEN b % 3 <> 0 THEN 1 + (b * 17) % p.workspaces END AS w) AS ws
CROSS JOIN LATERAL (
  SELECT ws.w,
         CASE WHEN ws.w IS NOT NULL THEN pg_temp.sim_owner(ws.w, p.users) ELSE 1 + (b * 7877) % p.users END AS u
) AS owner
CROSS JOIN LATERAL (
  SELECT owner.w, owner.u,
         pg_temp.sim_between(pg_temp.sim_signup(owner.u, p.users, p.t_start, p.t_now), p.t_now, random()) AS c
) AS v;

INSERT INTO custom_tools (id, user_id, title, schema, code, created_at, updated_at)
SELECT pg_temp.sim_uuid('custom_tool', t),
       pg_temp.sim_user_id(v.u),
       v.fname,
       json_build_object('type', 'function', 'function', json_build_object(
         'name', v.fname,
         'description', 'Calls the ' || v.fname || ' endpoint and returns its JSON.',
         'parameters', json_build_object('type', 'object',
           'properties', json_build_object('query', json_build_object('type', 'string', 'description', 'What to look up')),
           'required', json_build_array('query')))),
       'const res = await fetch(`https://api.example.com/' || v.fname || '?q=${encodeURIComponent(query)}`);' || E'\n'
         || 'if (!res.ok) throw new Error(`HTTP ${res.status}`);' || E'\n' || 'return await res.json();',
       v.c,
       pg_temp.sim_between(v.c, p.t_now, random())
FROM sim_params p
CROSS JOIN generate_series(1, p.custom_tools) AS t
CROSS JOIN LATERAL (SELECT 1 + (t * 6151) % p.users AS u) AS owner
CROSS JOIN LATERAL (
  SELECT owner.u,
         pg_temp.sim_pick(ARRAY['getWeather','lookupOrder','searchTickets','createInvoice','fetchProfile',
                                'translateText','checkInventory','sendSms','geocodeAddress','scoreLead'], t * 3)
           || (1 + t % 9) AS fname,
         pg_temp.sim_between(pg_temp.sim_signup(owner.u, p.users, p.t_start, p.t_now), p.t_now, random()) AS c
) AS v;

INSERT INTO mcp_servers (id, workspace_id, created_by, name, transport, url, enabled, deleted_at, created_at, updated_at)
SELECT pg_temp.sim_uuid('mcp_server', m),
       pg_temp.sim_uuid('workspace', v.w),
       CASE WHEN m % 10 <> 0 THEN pg_temp.sim_user_id(v.u) END,
       v.label || ' MCP',
       pg_temp.sim_pick(ARRAY['http','sse','streamable-http'], m),
       'https://mcp.' || lower(replace(v.label, ' ', '-')) || '.example.com/' || left(md5('mcp:' || m), 8),
       m % 7 <> 0,
       CASE WHEN m % 20 = 0 THEN pg_temp.sim_between(v.c, p.t_now, random()) END,
       v.c,
       pg_temp.sim_between(v.c, p.t_now, random())
FROM sim_params p
CROSS JOIN generate_series(1, p.mcp_servers) AS m
CROSS JOIN LATERAL (SELECT 1 + (m * 29) % p.workspaces AS w) AS ws
CROSS JOIN LATERAL (
  SELECT ws.w, pg_temp.sim_owner(ws.w, p.users) AS u,
         pg_temp.sim_pick(ARRAY['GitHub','Linear','Notion','Stripe','Postgres','Google Drive','Jira','Salesforce',
                                'Slack','Filesystem'], m * 3) AS label
) AS o
CROSS JOIN LATERAL (
  SELECT o.w, o.u, o.label,
         pg_temp.sim_between(pg_temp.sim_signup(o.u, p.users, p.t_start, p.t_now), p.t_now, random()) AS c
) AS v;

-- Three blocks (start → worker → response) on every 5th workflow, dated with their workflow.
INSERT INTO workflow_blocks (id, workflow_id, type, name, position_x, position_y, enabled, height, sub_blocks,
                             outputs, data, created_at, updated_at)
SELECT pg_temp.sim_uuid('block', k * 3 + n),
       w.id,
       v.type,
       CASE v.type WHEN 'starter' THEN 'Start' WHEN 'response' THEN 'Response'
                   ELSE initcap(v.type) || ' ' || (1 + k % 3) END,
       100 + 400 * n,
       200 + (k % 5) * 40,
       NOT (n = 1 AND k % 50 = 0),
       CASE WHEN n = 1 THEN 180 ELSE 0 END,
       jsonb_build_object('type', v.type, 'position', n),
       CASE v.type WHEN 'agent' THEN '{"content": "string", "model": "string", "tokens": "any"}'::jsonb
                   ELSE '{"response": "json"}'::jsonb END,
       '{}'::jsonb,
       w.created_at,
       w.updated_at
FROM sim_params p
CROSS JOIN generate_series(5, p.workflows, 5) AS k
CROSS JOIN generate_series(0, 2) AS n
JOIN workflow AS w ON w.id = pg_temp.sim_uuid('workflow', k)
CROSS JOIN LATERAL (
  SELECT CASE n WHEN 0 THEN 'starter' WHEN 2 THEN 'response'
                ELSE pg_temp.sim_pick(ARRAY['agent','api','function','knowledge','condition'], k) END AS type
) AS v;

DROP TABLE sim_params;

ANALYZE "user", workspace, api_key, workflow, knowledge_base, custom_tools, mcp_servers, workflow_blocks;
