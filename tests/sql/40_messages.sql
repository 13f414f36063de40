-- Sessions and messages: create and list sessions (unread counts, keyset
-- pages), send text/audio/file, idempotent send on client_id, attachment and
-- reply validation, pagination of messages at both ends and across pages,
-- edit, delete, reactions, read state, archiving, and hostile strings stored
-- and returned unchanged (or refused with a clear error).
begin;
\ir helpers/caller.psql
select plan(50);

select tests.new_account('olga'), tests.new_account('mia'), tests.new_account('vic');
create temp table fx (k text primary key, v uuid);
grant all on fx to public;
create function pg_temp.fx(p_k text) returns uuid language sql as $$ select v from fx where k = p_k $$;

select tests.act_as('olga');
insert into fx select 'wf', (public.wc_create_workflow('Chat') ->> 'id')::uuid;
select public.wc_add_member(pg_temp.fx('wf'), 'mia@example.test', 'member');
select public.wc_add_member(pg_temp.fx('wf'), 'vic@example.test', 'viewer');
insert into fx select 's' || g, (public.wc_create_session(pg_temp.fx('wf'), 'Session ' || g, jsonb_build_object('n', g)) ->> 'id')::uuid
from generate_series(1, 5) g;
insert into fx values ('c1', gen_random_uuid());

-- Sessions ------------------------------------------------------------------
select is(jsonb_array_length(public.wc_list_sessions(pg_temp.fx('wf'))), 5, 'five sessions listed');
select throws_ok(format($$select public.wc_create_session(%L, 'x', '[1]')$$, pg_temp.fx('wf')),
                 'PT400', 'invalid metadata', 'metadata must be an object');
select throws_ok(format($$select public.wc_list_sessions(%L, page_size => 0)$$, pg_temp.fx('wf')),
                 'PT400', 'invalid limit', 'page size is checked');
select throws_ok(format($$select public.wc_list_sessions(%L, before_activity => now())$$, pg_temp.fx('wf')),
                 'PT400', 'invalid argument', 'both cursor halves are needed');

-- Sending ---------------------------------------------------------------------
select tests.act_as('mia');
select is((public.wc_send_message(pg_temp.fx('s1'), pg_temp.fx('c1'), 'text', 'first') ->> 'seq')::int, 1, 'first message has seq 1');
select is(public.wc_send_message(pg_temp.fx('s1'), pg_temp.fx('c1'), 'text', 'first, retried') ->> 'body', 'first',
          'resending a client_id returns the stored message unchanged');
select is((public.wc_get_session(pg_temp.fx('s1')) ->> 'last_seq')::int, 1, 'an idempotent resend assigns no seq');
select tests.act_as('olga');
select throws_ok(format($$select public.wc_send_message(%L, %L, 'text', 'mine')$$, pg_temp.fx('s1'), pg_temp.fx('c1')),
                 'PT409', 'client_id already used', 'another author cannot reuse a client_id');
select is((public.wc_get_session(pg_temp.fx('s1')) ->> 'unread_count')::int, 1, 'the other member has one unread');
select tests.act_as('mia');
select is((public.wc_get_session(pg_temp.fx('s1')) ->> 'unread_count')::int, 0, 'the sender has none');

select is(public.wc_send_message(pg_temp.fx('s1'), gen_random_uuid(), 'audio', null,
            jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s1') || '/' || gen_random_uuid() || '/voice.webm',
                               'file_name', 'voice.webm', 'mime_type', 'audio/webm;codecs=opus',
                               'size_bytes', 48213, 'duration_ms', 5120)) -> 'attachment' ->> 'duration_ms',
          '5120', 'audio message with duration');
select is(public.wc_send_message(pg_temp.fx('s1'), gen_random_uuid(), 'file', 'the report',
            jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s1') || '/' || gen_random_uuid() || '/report.pdf',
                               'file_name', 'report.pdf', 'mime_type', 'application/pdf', 'size_bytes', 1024)) ->> 'kind',
          'file', 'file message with caption');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'audio', null, %L)$$, pg_temp.fx('s1'),
            jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s1') || '/' || gen_random_uuid() || '/a.webm',
                               'file_name', 'a.webm', 'mime_type', 'audio/webm', 'size_bytes', 10)),
                 'PT400', 'invalid attachment', 'audio without duration refused');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'file', null, %L)$$, pg_temp.fx('s1'),
            jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s2') || '/' || gen_random_uuid() || '/a.pdf',
                               'file_name', 'a.pdf', 'mime_type', 'application/pdf', 'size_bytes', 10)),
                 'PT400', 'invalid attachment', 'attachment path of another session refused');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'file', null, %L)$$, pg_temp.fx('s1'),
            jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s1') || '/' || gen_random_uuid() || '/a.svg',
                               'file_name', 'a.svg', 'mime_type', 'image/svg+xml', 'size_bytes', 10)),
                 'PT400', 'invalid attachment', 'MIME type outside the allow-list refused');
-- File names and MIME types are shown to others and end up in headers and
-- download names: control characters and bidirectional overrides (which
-- make "gnp.exe" read as "exe.png") are refused there.
select is((select count(*)::int from unnest(array[E'report\n.pdf', E'a\rb.pdf', E'tab\there.pdf',
                                                   E'invoice\u202Egnp.exe', E'x\u2066y.pdf', E'nul\u0001.pdf']) f
           where tests.outcome(format($$select public.wc_send_message(%L, gen_random_uuid(), 'file', null, %L)$$,
                   pg_temp.fx('s1'), jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s1') || '/'
                                                                 || gen_random_uuid() || '/upload.bin',
                                                        'file_name', f, 'mime_type', 'application/pdf', 'size_bytes', 10)))
                 = 'PT400'), 6, 'file names with control or bidi override characters are refused');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'audio', null, %L)$$, pg_temp.fx('s1'),
            jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s1') || '/' || gen_random_uuid() || '/a.webm',
                               'file_name', 'a.webm', 'mime_type', E'audio/webm;\r\nX-Injected: 1', 'size_bytes', 10,
                               'duration_ms', 5)),
                 'PT400', 'invalid attachment', 'a MIME type with a line break is refused');
select is(public.wc_send_message(pg_temp.fx('s1'), gen_random_uuid(), 'file', null,
            jsonb_build_object('path', pg_temp.fx('wf') || '/' || pg_temp.fx('s1') || '/' || gen_random_uuid() || '/f.pdf',
                               'file_name', 'Ünïcödé 文件 (2) — final.pdf', 'mime_type', 'application/pdf', 'size_bytes', 10))
          -> 'attachment' ->> 'file_name', 'Ünïcödé 文件 (2) — final.pdf', 'ordinary Unicode file names are kept');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'sticker', 'x')$$, pg_temp.fx('s1')),
                 'PT400', 'invalid kind', 'unknown kind refused');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'text', '   ')$$, pg_temp.fx('s1')),
                 'PT400', 'invalid argument', 'blank text refused');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'text', 'x', null, %L)$$,
                        pg_temp.fx('s1'), gen_random_uuid()),
                 'PT404', 'message not found', 'reply to an unknown message refused');
select is(public.wc_send_message(pg_temp.fx('s1'), gen_random_uuid(), 'text', 'answer', null,
                                 (public.wc_get_messages(pg_temp.fx('s1'), page_size => 1, after_seq => 0) -> 0 ->> 'id')::uuid)
          -> 'reply_to' ->> 'preview', 'first', 'a reply carries the replied message preview');

-- Hostile strings ----------------------------------------------------------------
create temp table hostile (n int, s text);
grant all on hostile to public;
insert into hostile values
    (1, $$'); drop table workflow_chat.chat_message; --$$),
    (2, '<script>alert("x")</script><img src=x onerror=alert(1)>'),
    (3, repeat('é', 10000)),
    (4, E'\u202Egnp.exe \u200B\u200D👩‍👩‍👧 \uFEFF Ω≈ç√ 𝕏 \t tab \n newline \\ backslash % _'),
    (5, '${jndi:ldap://x} {{7*7}} %s%n \x00 $1');
select is((select count(*)::int from hostile h
           where public.wc_send_message(pg_temp.fx('s2'), gen_random_uuid(), 'text', h.s) ->> 'body' = h.s), 5,
          'hostile strings are stored and returned unchanged');
select is((select count(*)::int from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s2'))) m
           join hostile h on h.s = m ->> 'body'), 5, 'and read back unchanged');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'text', %L)$$, pg_temp.fx('s2'), repeat('x', 10001)),
                 'PT400', 'too long', 'over 10000 characters refused');
select throws_ok(format($$select public.wc_update_session(%L, 'mine now')$$, pg_temp.fx('s2')),
                 'PT403', 'insufficient role', 'a member cannot rename a session someone else created');
select tests.act_as('olga');
select is(public.wc_update_session(pg_temp.fx('s2'), (select s from hostile where n = 2)) ->> 'title',
          (select s from hostile where n = 2), 'hostile session titles are kept too');
select tests.act_as('mia');

-- Pagination ----------------------------------------------------------------------
select public.wc_send_message(pg_temp.fx('s3'), gen_random_uuid(), 'text', 'm' || g) from generate_series(1, 45) g;
select is((select array_agg((m ->> 'seq')::int) from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s3'), page_size => 10)) m),
          (select array_agg(g) from generate_series(36, 45) g), 'newest page: seq 36..45 ascending');
select is((select array_agg((m ->> 'seq')::int) from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s3'), before_seq => 36, page_size => 10)) m),
          (select array_agg(g) from generate_series(26, 35) g), 'page before 36: 26..35');
select is((select array_agg((m ->> 'seq')::int) from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s3'), before_seq => 6, page_size => 10)) m),
          (select array_agg(g) from generate_series(1, 5) g), 'oldest end: a short page 1..5');
select is((select array_agg((m ->> 'seq')::int) from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s3'), after_seq => 0, page_size => 10)) m),
          (select array_agg(g) from generate_series(1, 10) g), 'after 0: the oldest page 1..10');
select is((select array_agg((m ->> 'seq')::int) from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s3'), after_seq => 40, page_size => 10)) m),
          (select array_agg(g) from generate_series(41, 45) g), 'after 40: catching up 41..45');
select is(public.wc_get_messages(pg_temp.fx('s3'), after_seq => 45), '[]'::jsonb, 'after the newest: empty');
select is((select array_agg((m ->> 'seq')::int) from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s3'), before_seq => 20, after_seq => 10, page_size => 3)) m),
          array[11, 12, 13], 'between two cursors: the oldest page of the gap');
select is((with recursive pages(n, before, got) as (
               select 1, null::bigint, public.wc_get_messages(pg_temp.fx('s3'), page_size => 7)
               union all
               select n + 1, (got -> 0 ->> 'seq')::bigint,
                      public.wc_get_messages(pg_temp.fx('s3'), before_seq => (got -> 0 ->> 'seq')::bigint, page_size => 7)
               from pages where jsonb_array_length(got) = 7)
           select count(distinct (m ->> 'seq'))::int from pages, jsonb_array_elements(got) m), 45,
          'walking back page by page visits every message once');
select throws_ok(format($$select public.wc_get_messages(%L, page_size => 201)$$, pg_temp.fx('s3')),
                 'PT400', 'invalid limit', 'page size is capped');

-- Session list order and keyset pages
select is(public.wc_list_sessions(pg_temp.fx('wf'), page_size => 1) -> 0 ->> 'id', pg_temp.fx('s3')::text,
          'the session with the newest message comes first');
select is((select count(distinct s ->> 'id')::int from (
               select jsonb_array_elements(public.wc_list_sessions(pg_temp.fx('wf'), page_size => 2)) s
               union all
               select jsonb_array_elements(public.wc_list_sessions(pg_temp.fx('wf'),
                   (public.wc_list_sessions(pg_temp.fx('wf'), page_size => 2) -> 1 ->> 'last_activity_at')::timestamptz,
                   (public.wc_list_sessions(pg_temp.fx('wf'), page_size => 2) -> 1 ->> 'id')::uuid, 3))) x), 5,
          'two keyset pages cover all five sessions');

-- Edit, delete, reactions, read state ---------------------------------------------------
insert into fx select 'm1', (public.wc_get_messages(pg_temp.fx('s1'), after_seq => 0, page_size => 1) -> 0 ->> 'id')::uuid;
select is(public.wc_edit_message(pg_temp.fx('m1'), 'first (edited)') ->> 'body', 'first (edited)', 'the author edits');
select is(jsonb_array_length(public.wc_toggle_reaction(pg_temp.fx('m1'), '👍') -> 'reactions'), 1, 'a reaction is added');
select tests.act_as('olga');
select is(public.wc_toggle_reaction(pg_temp.fx('m1'), '👍') -> 'reactions' -> 0 ->> 'count', '2', 'reactions aggregate per emoji');
select is(public.wc_toggle_reaction(pg_temp.fx('m1'), '👍') -> 'reactions' -> 0 ->> 'count', '1', 'toggling again removes it');
select is(public.wc_mark_read(pg_temp.fx('s1'), 999) ->> 'last_read_seq',
          (public.wc_get_session(pg_temp.fx('s1')) ->> 'last_seq'), 'mark_read is capped at last_seq');
select is(public.wc_mark_read(pg_temp.fx('s1'), 1) ->> 'last_read_seq',
          (public.wc_get_session(pg_temp.fx('s1')) ->> 'last_seq'), 'mark_read never moves back');
select is(public.wc_delete_message(pg_temp.fx('m1')) -> 'reactions', '[]'::jsonb, 'an admin deletes: reactions cleared');
select is((select m -> 'body' from jsonb_array_elements(public.wc_get_messages(pg_temp.fx('s1'))) m where m ->> 'id' = pg_temp.fx('m1')::text),
          'null'::jsonb, 'a deleted message is returned without body');
select throws_ok(format($$select public.wc_toggle_reaction(%L, '👍')$$, pg_temp.fx('m1')), 'PT409', 'message deleted',
                 'no reactions on deleted messages');
select tests.act_as('vic');
select is(jsonb_array_length(public.wc_list_read_states(pg_temp.fx('s1'))), 2, 'read states of both readers');

-- Archive ------------------------------------------------------------------------------
select tests.act_as('olga');
select isnt(public.wc_archive_session(pg_temp.fx('s4')) ->> 'archived_at', null, 'archived');
select throws_ok(format($$select public.wc_send_message(%L, gen_random_uuid(), 'text', 'late')$$, pg_temp.fx('s4')),
                 'PT409', 'session archived', 'archived sessions refuse messages');

select * from finish();
rollback;
