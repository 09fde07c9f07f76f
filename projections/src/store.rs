//! The PostgreSQL side of the projections: a control schema `<base>` holding which generation
//! of each projection serves and how far each got, and one schema per generation,
//! `<base>_<projection>_g<generation>`, holding that generation's tables.

use crate::error::ProjectionError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Connection;
use std::time::Duration;

static CONTROL: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/control");

/// Handle to the read-model database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadStore {
    pool: PgPool,
    base: String,
}

/// A generation's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// The generation number, from 1.
    pub number: i32,
    /// Its schema.
    pub schema: String,
    /// The last stream sequence applied to it.
    pub last_seq: u64,
}

fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 40
}

impl ReadStore {
    /// Connects and migrates the control schema `base` (lower-case letters, digits, `_`).
    ///
    /// # Errors
    /// When the database is out of reach or `base` is not a plain identifier.
    pub async fn connect(url: &str, base: &str, max_connections: u32) -> Result<Self, ProjectionError> {
        if !valid_identifier(base) {
            return Err(ProjectionError::InvalidSchema(base.to_owned()));
        }
        let pool = PgPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(5)).connect(url).await?;
        let store = Self { pool, base: base.to_owned() };
        store.migrate_schema(base, &CONTROL).await?;
        Ok(store)
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The control schema.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The schema of a projection's generation.
    pub fn schema_of(&self, projection: &str, generation: i32) -> String {
        format!("{}_{projection}_g{generation}", self.base)
    }

    /// Migrates `schema` on a connection of its own, detached from the pool: sqlx holds a
    /// database-wide advisory lock while migrating, and if this future is dropped midway
    /// (a projector killed), closing the connection is what releases that lock.
    async fn migrate_schema(&self, schema: &str, migrator: &Migrator) -> Result<(), ProjectionError> {
        let mut conn = self.pool.acquire().await?.detach();
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).execute(&mut conn).await?;
        sqlx::query(&format!("SET search_path TO {schema}")).execute(&mut conn).await?;
        // `run_direct`: `run`'s generic `Acquire` bound makes the future not `Send` for every
        // lifetime, which spawned projector tasks need.
        let result = migrator.run_direct(&mut conn).await;
        let _ = conn.close().await;
        result.map_err(|source| ProjectionError::Migrate { schema: schema.to_owned(), source })
    }

    /// The serving generation of the projection `name`, creating generation 1 (its tables
    /// made by `migrator`) when there is none. A serving generation made by an earlier
    /// version gets the migrations added since (an upgrade in place: they are additive, new
    /// columns and tables filled from what the generation holds); the ones it has are not
    /// run again.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn ensure_active(&self, name: &'static str, migrator: &Migrator) -> Result<Generation, ProjectionError> {
        if let Some(active) = self.active(name).await? {
            if self.pending(&active.schema, migrator).await? {
                self.migrate_schema(&active.schema, migrator).await?;
            }
            return Ok(active);
        }
        let schema = self.schema_of(name, 1);
        self.migrate_schema(&schema, migrator).await?;
        let mut conn = self.pool.acquire().await?;
        let insert = format!("INSERT INTO {}.projection_state (projection, generation, active) VALUES ($1, 1, true) ON CONFLICT DO NOTHING", self.base);
        sqlx::query(&insert).bind(name).execute(&mut *conn).await?;
        self.active(name).await?.ok_or(ProjectionError::NoGeneration(name))
    }

    /// Whether `schema` lacks a migration of `migrator`: one query, so that a projector's
    /// start takes the migration lock only when there is something to migrate.
    async fn pending(&self, schema: &str, migrator: &Migrator) -> Result<bool, ProjectionError> {
        let table = format!("{schema}._sqlx_migrations");
        let (exists,): (Option<String>,) = sqlx::query_as("SELECT to_regclass($1)::text").bind(&table).fetch_one(&self.pool).await?;
        if exists.is_none() {
            return Ok(true);
        }
        let applied: Vec<i64> = sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE success")).fetch_all(&self.pool).await?;
        Ok(migrator.iter().any(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version)))
    }

    /// The serving generation of `projection`, if any.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn active(&self, projection: &str) -> Result<Option<Generation>, ProjectionError> {
        let sql = format!("SELECT generation, last_seq FROM {}.projection_state WHERE projection = $1 AND active", self.base);
        let row: Option<(i32, i64)> = sqlx::query_as(&sql).bind(projection).fetch_optional(&self.pool).await?;
        Ok(row.map(|(number, last_seq)| Generation { number, schema: self.schema_of(projection, number), last_seq: last_seq as u64 }))
    }

    /// Creates the next, inactive generation of the projection `name` with empty tables
    /// (made by `migrator`).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn create_generation(&self, name: &str, migrator: &Migrator) -> Result<Generation, ProjectionError> {
        let mut conn = self.pool.acquire().await?;
        let sql = format!(
            "INSERT INTO {base}.projection_state (projection, generation) \
             SELECT $1, COALESCE(MAX(generation), 0) + 1 FROM {base}.projection_state WHERE projection = $1 RETURNING generation",
            base = self.base
        );
        let (number,): (i32,) = sqlx::query_as(&sql).bind(name).fetch_one(&mut *conn).await?;
        let schema = self.schema_of(name, number);
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut *conn).await?;
        self.migrate_schema(&schema, migrator).await?;
        Ok(Generation { number, schema, last_seq: 0 })
    }

    /// The generations of `projection` that do not serve.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn inactive_generations(&self, projection: &str) -> Result<Vec<i32>, ProjectionError> {
        let sql = format!("SELECT generation FROM {}.projection_state WHERE projection = $1 AND NOT active ORDER BY 1", self.base);
        let rows: Vec<(i32,)> = sqlx::query_as(&sql).bind(projection).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(g,)| g).collect())
    }

    /// Drops a generation that no longer serves; a serving generation is never dropped. The
    /// check (`NOT active`) and the removal of its row are one statement, which locks the row,
    /// and the schema is dropped only when that statement removed it, in the same transaction:
    /// no swap in between can make it serve. Returns whether it was dropped.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn drop_generation(&self, projection: &str, generation: i32) -> Result<bool, ProjectionError> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        let sql = format!("DELETE FROM {}.projection_state WHERE projection = $1 AND generation = $2 AND NOT active RETURNING generation", self.base);
        let removed: Option<(i32,)> = sqlx::query_as(&sql).bind(projection).bind(generation).fetch_optional(&mut *tx).await?;
        if removed.is_none() {
            tracing::warn!(projection, generation, "not dropping a generation that serves (or is unknown)");
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema_of(projection, generation))).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Drops the control schema `base` and every generation of every read model under it
/// (`<base>_<projection>_g<n>`): all that a deployment (or a test, or a benchmark) with this
/// `SKP_DB_SCHEMA` keeps in PostgreSQL.
///
/// # Errors
/// When the database fails: the first failure, after trying every schema.
pub async fn drop_base(pool: &PgPool, base: &str) -> Result<(), ProjectionError> {
    let generations = format!("{base}\\_%");
    let schemas: Vec<(String,)> = sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2")
        .bind(base)
        .bind(generations)
        .fetch_all(pool)
        .await?;
    let mut first_failure = Ok(());
    for (schema,) in schemas {
        if let Err(e) = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(pool).await {
            first_failure = first_failure.and(Err(e.into()));
        }
    }
    first_failure
}

/// Makes the rest of a projector's transaction work in `schema` (a generation's), reading by
/// index wherever there is one.
///
/// A statement's generic plan is made once per connection, from the table sizes of that
/// moment. Made while a generation's tables were small (a fresh read model, a rebuild, the
/// first minutes after the start), `SELECT * FROM appraisals WHERE appraisal_id = ANY($1)`
/// became a sequential scan, and it stayed one as the table grew until an `ANALYZE` came:
/// under load every batch scanned the whole table (found with `auto_explain`, issue 16).
/// Every read of a projector's batch is a keyed lookup, so sequential scans are off
/// (`enable_seqscan`: the planner takes an index wherever one fits). Generic plans stay:
/// custom ones, planned again for every statement, made rebuilds 10-25% slower.
///
/// # Errors
/// When PostgreSQL refuses the settings.
pub async fn enter_schema(tx: &mut sqlx::PgConnection, schema: &str) -> Result<(), ProjectionError> {
    // `set_config(.., true)` is `SET LOCAL`: both in one round trip.
    sqlx::query("SELECT set_config('search_path', $1, true), set_config('enable_seqscan', 'off', true)").bind(schema).execute(&mut *tx).await?;
    Ok(())
}
