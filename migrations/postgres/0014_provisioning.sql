-- Connected systems (LDAP directories, SCIM 2.0 applications), the links
-- from Gatehouse's resources to groups in them, and the provisioning queue.
--
-- A membership row written or deleted in the grant ledger (group_members,
-- site_members, app_role_assignments, app_default_access) queues an
-- operation for each link of its resource role through triggers, so that
-- every path that changes the ledger (delivery, removal, expiry, a role added
-- to or removed from a package, an administrator's change) provisions in the
-- same transaction, and none can forget to.

CREATE TABLE connected_systems (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('ldap', 'scim')),
    display_name    TEXT NOT NULL,
    name_lower      TEXT NOT NULL UNIQUE,
    -- The kind's settings as JSON, without the secret.
    settings        TEXT NOT NULL,
    -- The bind password or bearer token: written, never shown again.
    secret          TEXT NOT NULL,
    reconcile_mode  TEXT NOT NULL DEFAULT 'report' CHECK (reconcile_mode IN ('report', 'addMissing', 'addAndRemove')),
    last_test_at    TEXT,
    last_test_ok    BOOLEAN,
    last_test_note  TEXT,
    last_reconciled_at TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE resource_links (
    id            TEXT PRIMARY KEY,
    -- No cascade: a system is deleted only once nothing is linked to it.
    system_id     TEXT NOT NULL REFERENCES connected_systems (id),
    -- The Gatehouse resource role: (AadGroup, group, member), (AadApplication,
    -- application, app role id or defaultAccess), (SharePointOnline, site, role).
    origin_system TEXT NOT NULL,
    origin_id     TEXT NOT NULL,
    role          TEXT NOT NULL,
    -- The group in the target: a DN, or a SCIM Group id.
    external_id   TEXT NOT NULL,
    external_name TEXT NOT NULL,
    -- Kept as the only member of a group whose schema requires one.
    placeholder   TEXT,
    -- Reconciliation: when it last ran, its error, and what it found.
    reconciled_at TEXT,
    last_error    TEXT,
    missing       TEXT NOT NULL DEFAULT '[]',
    unexpected    TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL,
    UNIQUE (origin_system, origin_id, role)
);
CREATE INDEX resource_links_system ON resource_links (system_id);

-- Who a person is in a target, once found or created there: a DN (or uid
-- for memberUid groups), or a SCIM User id.
CREATE TABLE provisioned_accounts (
    system_id    TEXT NOT NULL REFERENCES connected_systems (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    external_key TEXT NOT NULL,
    member_value TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (system_id, user_id)
);
CREATE INDEX provisioned_accounts_member ON provisioned_accounts (system_id, member_value);

CREATE TABLE provisioning_operations (
    seq             BIGSERIAL PRIMARY KEY,
    link_id         TEXT NOT NULL REFERENCES resource_links (id) ON DELETE CASCADE,
    system_id       TEXT NOT NULL,
    -- No foreign key: the person may be deleted while the operation waits.
    user_id         TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('add', 'remove')),
    -- The person as they were when the operation was queued.
    email           TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    given_name      TEXT,
    surname         TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed', 'superseded')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    done_at         TEXT
);
CREATE INDEX provisioning_due ON provisioning_operations (state, next_attempt_at);
CREATE INDEX provisioning_pair ON provisioning_operations (link_id, user_id, seq);
CREATE INDEX provisioning_user ON provisioning_operations (user_id, state);
CREATE INDEX provisioning_system ON provisioning_operations (system_id, state);

-- The mail "you now have access", held until provisioning completes.
ALTER TABLE access_package_assignments ADD COLUMN delivered_mail TEXT;

-- Queues an operation for each link of a resource role; `origin_id` NULL
-- matches any (application roles are found by their role id). A removal
-- knows only the database's time, not the application's clock: it is due
-- at once ('' sorts first).
CREATE FUNCTION queue_provisioning(p_system TEXT, p_origin TEXT, p_role TEXT, p_user TEXT, p_action TEXT, p_at TEXT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO provisioning_operations (link_id, system_id, user_id, action, email, display_name, given_name, surname, next_attempt_at, created_at)
    SELECT l.id, l.system_id, p_user, p_action, COALESCE(u.email, ''), COALESCE(u.display_name, ''), u.given_name, u.surname,
           CASE WHEN p_action = 'add' THEN p_at ELSE '' END, p_at
    FROM resource_links l LEFT JOIN users u ON u.id = p_user
    WHERE l.origin_system = p_system AND (p_origin IS NULL OR l.origin_id = p_origin) AND l.role = p_role;
END $$;

CREATE FUNCTION provision_membership() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    act TEXT;
    at TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        r := NEW; act := 'add'; at := NEW.added_at;
    ELSE
        r := OLD; act := 'remove';
        at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    END IF;
    IF TG_TABLE_NAME = 'group_members' THEN
        PERFORM queue_provisioning('AadGroup', r.group_id, r.role, r.user_id, act, at);
    ELSIF TG_TABLE_NAME = 'site_members' THEN
        PERFORM queue_provisioning('SharePointOnline', r.site_id, r.role, r.user_id, act, at);
    ELSIF TG_TABLE_NAME = 'app_role_assignments' THEN
        PERFORM queue_provisioning('AadApplication', NULL, r.app_role_id, r.user_id, act, at);
    ELSE
        PERFORM queue_provisioning('AadApplication', r.application_id, 'defaultAccess', r.user_id, act, at);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER group_members_provision AFTER INSERT OR DELETE ON group_members FOR EACH ROW EXECUTE FUNCTION provision_membership();
CREATE TRIGGER site_members_provision AFTER INSERT OR DELETE ON site_members FOR EACH ROW EXECUTE FUNCTION provision_membership();
CREATE TRIGGER app_role_assignments_provision AFTER INSERT OR DELETE ON app_role_assignments FOR EACH ROW EXECUTE FUNCTION provision_membership();
CREATE TRIGGER app_default_access_provision AFTER INSERT OR DELETE ON app_default_access FOR EACH ROW EXECUTE FUNCTION provision_membership();

-- A person deleted leaves their memberships first, while their address is
-- still known to the operations that take them back.
CREATE FUNCTION leave_linked_resources() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM group_members WHERE user_id = OLD.id;
    DELETE FROM site_members WHERE user_id = OLD.id;
    DELETE FROM app_role_assignments WHERE user_id = OLD.id;
    DELETE FROM app_default_access WHERE user_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER users_leave_linked_resources BEFORE DELETE ON users FOR EACH ROW EXECUTE FUNCTION leave_linked_resources();
