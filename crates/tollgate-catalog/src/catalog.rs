//! The catalog: services, actions, lookups and wildcard expansion.

use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::error::CatalogError;
use crate::glob;
use crate::managed::{ManagedEntry, ManagedPolicy};
use crate::set::{ActionId, ActionSet};
use crate::tables::{self, Rows, StrTable, Tables, TextError};

/// The catalog shipped with tollgate (`data/catalog.tsv.gz`, see
/// `data/README.md`) as the image `build.rs` writes from it: the tables
/// parsed and sorted at build time, so loading it decompresses and parses
/// nothing.
static EMBEDDED_IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/catalog.bin"));

/// Format version of the catalog text this build reads.
pub const FORMAT_VERSION: u32 = tables::TEXT_FORMAT_VERSION;

/// Largest decompressed catalog accepted from a file (the shipped one is ~3.3 MB).
pub const MAX_CATALOG_BYTES: usize = 64 * 1024 * 1024;

/// The access level AWS documents for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    /// All levels, in the order AWS lists them.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    /// The name AWS uses: `List`, `Read`, `Write`, `Permissions management`, `Tagging`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Risk classes an action is tagged with in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// Part of a published privilege-escalation method (Rhino Security Labs list, via policy-sentry).
    PrivilegeEscalation,
    /// Returns or creates credentials (policy-sentry's credentials-exposure list).
    CredentialsExposure,
    /// Reads data stores that hold secrets or customer data (cloudsplaining's list).
    DataExfiltration,
    /// Changes who can reach a resource (policy-sentry's resource-exposure list).
    ResourceExposure,
}

impl Risk {
    pub const ALL: [Risk; 4] =
        [Risk::PrivilegeEscalation, Risk::CredentialsExposure, Risk::DataExfiltration, Risk::ResourceExposure];

    pub fn as_str(self) -> &'static str {
        match self {
            Risk::PrivilegeEscalation => "privilege-escalation",
            Risk::CredentialsExposure => "credentials-exposure",
            Risk::DataExfiltration => "data-exfiltration",
            Risk::ResourceExposure => "resource-exposure",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// One source the catalog was generated from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    pub name: String,
    pub version: String,
    /// Date of the source's data as it records it (may be empty).
    pub date: String,
    pub licence: String,
}

/// What `tollgate catalog info` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogInfo {
    /// `embedded` or the path of the file it was loaded from.
    pub origin: String,
    pub format_version: u32,
    pub sources: Vec<SourceInfo>,
    pub services: usize,
    pub actions: usize,
    pub resource_types: usize,
    pub condition_keys: usize,
    pub managed_policies: usize,
    /// Size of the catalog as stored (compressed, when it was gzip).
    pub stored_bytes: usize,
    /// Size of the catalog text.
    pub text_bytes: usize,
}

/// Why an action pattern expanded to nothing, or that it did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatternStatus {
    /// At least one action matched.
    Matched,
    /// The service part matches no service prefix (`s4:GetObject`, `foo*:*`).
    UnknownService,
    /// The service exists but no action of it matches (`s3:GetObjekt`).
    UnknownAction,
    /// Not of the form `service:action` (empty, two colons, blank parts, spaces).
    Invalid,
}

/// The result of expanding one action pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub actions: ActionSet,
    pub status: PatternStatus,
}

/// How much of one service a set covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceCoverage<'a> {
    pub prefix: &'a str,
    pub granted: usize,
    pub total: usize,
}

impl ServiceCoverage<'_> {
    /// Every action of the service is in the set.
    pub fn is_full(&self) -> bool {
        self.granted == self.total
    }
}

/// A pattern that matched nothing, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct UnmatchedPattern {
    pub pattern: String,
    pub status: PatternStatus,
}

/// A service: its lowercase prefix (`s3`, `iam`), display name and range
/// of actions, the texts borrowed from the embedded image.
pub(crate) type ServiceEntry = tables::RawService<'static>;

/// An action row (read from the image where it lies: the ~22,000 rows are
/// not copied): the range of its name as AWS spells it
/// (`GetObject`) in `Catalog::names`, its service, access level code, risk
/// bits and ranges into `res_refs` and `key_refs`.
type ActionEntry = tables::RawAction;

/// The access level of a table's level code (codes are checked when the
/// text is parsed; an image's are its build script's).
fn level_of(a: &ActionEntry) -> AccessLevel {
    AccessLevel::ALL.get(usize::from(a.level)).copied().unwrap_or(AccessLevel::Write)
}

/// An offline catalog of AWS service prefixes, actions and managed policies.
#[derive(Debug, Clone)]
pub struct Catalog {
    info: CatalogInfo,
    /// Every action name, concatenated (one allocation instead of one per action).
    names: Cow<'static, str>,
    /// `names` in lowercase (same offsets): lookups compare bytes.
    lower_names: Cow<'static, str>,
    /// Lowercase `service:action` -> position in `actions`
    /// ([`tables::action_index`]); borrowed from the embedded image.
    action_index: Cow<'static, [u8]>,
    services: Vec<ServiceEntry>,
    actions: Rows<'static, ActionEntry>,
    resource_types: StrTable<'static>,
    condition_keys: StrTable<'static>,
    /// `resource type index << 1 | required`.
    res_refs: Rows<'static, u32>,
    key_refs: Rows<'static, u32>,
    by_level: [ActionSet; 5],
    by_risk: [ActionSet; 4],
    constrainable: ActionSet,
    /// The managed policies; for the embedded catalog decompressed and
    /// parsed on first use (they are three quarters of the data and most
    /// runs look up none or a few).
    managed: OnceLock<ManagedTable>,
    /// Managed-policy section of the image still to be decoded (embedded
    /// catalog only), and the size of the text it was built from.
    managed_pending: Option<&'static [u8]>,
    managed_text_bytes: usize,
    /// See [`Catalog::id`].
    id: u64,
}

/// The next [`Catalog::id`].
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Clone, Default)]
struct ManagedTable {
    /// Sorted by lowercase name.
    entries: Vec<ManagedEntry>,
    /// Lowercase path (`service-role/awslambdabasicexecutionrole`) and
    /// lowercase name -> index into `entries`, sorted by key. Borrowed
    /// from the embedded image, where the build script wrote it.
    index: Vec<(Cow<'static, str>, u32)>,
    text_bytes: usize,
}

impl ManagedTable {
    fn new((entries, index): tables::ManagedLookup<'static>, text_bytes: usize) -> Self {
        ManagedTable { entries: entries.into_iter().map(ManagedEntry::from).collect(), index, text_bytes }
    }

    fn find(&self, key: &str) -> Option<u32> {
        self.index.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok().and_then(|i| self.index.get(i)).map(|e| e.1)
    }
}

/// One action of a catalog.
#[derive(Clone, Copy)]
pub struct ActionRef<'a> {
    catalog: &'a Catalog,
    id: ActionId,
    entry: ActionEntry,
}

/// A resource type an action accepts in `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceTypeRef<'a> {
    pub name: &'a str,
    /// AWS marks the resource type as required (`*` in its tables).
    pub required: bool,
}

impl<'a> ActionRef<'a> {
    pub fn id(&self) -> ActionId {
        self.id
    }

    /// The service prefix, lowercase (`s3`).
    pub fn service(&self) -> &'a str {
        self.catalog.services.get(self.entry.service as usize).map_or("", |s| s.prefix.as_ref())
    }

    /// The action name as AWS spells it (`GetObject`).
    pub fn action_name(&self) -> &'a str {
        self.catalog.name_of(&self.entry)
    }

    /// `service:ActionName` (`s3:GetObject`).
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service(), self.action_name())
    }

    pub fn access_level(&self) -> AccessLevel {
        level_of(&self.entry)
    }

    /// The resource types the action accepts; empty when it only accepts `*`.
    pub fn resource_types(&self) -> impl Iterator<Item = ResourceTypeRef<'a>> + 'a {
        let catalog = self.catalog;
        let (a, b) = self.entry.res;
        catalog.res_refs.range(a as usize, b as usize).map(move |r| ResourceTypeRef {
            name: catalog.resource_types.get((r >> 1) as usize).unwrap_or(""),
            required: r & 1 == 1,
        })
    }

    /// Whether `Resource` can name something narrower than `*` for this
    /// action (it supports at least one resource type).
    pub fn resource_constrainable(&self) -> bool {
        self.entry.res.1 > self.entry.res.0
    }

    /// Condition keys of the action and of its resource types.
    pub fn condition_keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        let catalog = self.catalog;
        let (a, b) = self.entry.keys;
        catalog
            .key_refs
            .range(a as usize, b as usize)
            .map(move |k| catalog.condition_keys.get(k as usize).unwrap_or(""))
    }

    /// The risk classes the catalog tags this action with.
    pub fn risks(&self) -> impl Iterator<Item = Risk> + 'a {
        let bits = self.entry.risks;
        Risk::ALL.into_iter().filter(move |r| bits & r.bit() != 0)
    }

    pub fn has_risk(&self, risk: Risk) -> bool {
        self.entry.risks & risk.bit() != 0
    }
}

impl fmt::Display for ActionRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service(), self.action_name())
    }
}

impl fmt::Debug for ActionRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActionRef({self})")
    }
}

static EMBEDDED: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();

impl Catalog {
    /// The catalog embedded in the binary, decoded on first use and shared;
    /// its managed policies are decoded on their first lookup.
    pub fn embedded() -> Result<&'static Catalog, CatalogError> {
        EMBEDDED.get_or_init(|| Catalog::from_image(EMBEDDED_IMAGE, "embedded")).as_ref().map_err(Clone::clone)
    }

    /// Decodes an image written by the build script; the managed-policy
    /// section stays undecoded until a managed policy is looked up.
    fn from_image(image: &'static [u8], origin: &str) -> Result<Catalog, CatalogError> {
        let bad = |message: String| CatalogError::Format { origin: origin.to_owned(), line: 0, message };
        let (tables, names, managed) = tables::decode(image).map_err(bad)?;
        let managed_text_bytes = tables.managed_text_bytes as usize;
        let views = (Cow::Borrowed(names.names), Cow::Borrowed(names.lower), Cow::Borrowed(names.action_index));
        let mut catalog = Catalog::from_tables(tables, views, origin, image.len());
        catalog.managed_pending = Some(managed);
        catalog.managed_text_bytes = managed_text_bytes;
        Ok(catalog)
    }

    /// A fresh copy of the embedded catalog, decoded as [`Catalog::embedded`]
    /// decodes it once per process (for measuring that cost).
    pub fn decode_embedded() -> Result<Catalog, CatalogError> {
        Catalog::from_image(EMBEDDED_IMAGE, "embedded")
    }

    /// The size of the embedded catalog image in the binary.
    pub fn embedded_size() -> usize {
        EMBEDDED_IMAGE.len()
    }

    /// Loads a catalog file written by `scripts/catalog/generate.py`
    /// (gzip-compressed or plain text).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Catalog, CatalogError> {
        let path = path.as_ref();
        let io_err = |e: std::io::Error| CatalogError::Io { path: path.to_path_buf(), message: e.to_string() };
        let file = std::fs::File::open(path).map_err(io_err)?;
        let mut bytes = Vec::new();
        file.take(MAX_CATALOG_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(io_err)?;
        let origin = path.display().to_string();
        if bytes.len() > MAX_CATALOG_BYTES {
            return Err(CatalogError::TooLarge { origin, limit: MAX_CATALOG_BYTES });
        }
        Catalog::from_bytes(&bytes, &origin)
    }

    /// Parses catalog bytes (gzip or plain text); `origin` names them in errors and `info()`.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Catalog, CatalogError> {
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::with_capacity(bytes.len() * 7);
            flate2::read::MultiGzDecoder::new(bytes)
                .take(MAX_CATALOG_BYTES as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| CatalogError::Decompress { origin: origin.to_owned(), message: e.to_string() })?;
            if out.len() > MAX_CATALOG_BYTES {
                return Err(CatalogError::TooLarge { origin: origin.to_owned(), limit: MAX_CATALOG_BYTES });
            }
            String::from_utf8(out).map_err(|_| CatalogError::NotUtf8 { origin: origin.to_owned() })?
        } else {
            std::str::from_utf8(bytes).map_err(|_| CatalogError::NotUtf8 { origin: origin.to_owned() })?.to_owned()
        };
        let mut tables = tables::parse_text(&text).map_err(|e| match e {
            TextError::Format { line, message } => CatalogError::Format { origin: origin.to_owned(), line, message },
            TextError::Version { found } => {
                CatalogError::Version { origin: origin.to_owned(), found, supported: FORMAT_VERSION }
            }
        })?;
        let managed = std::mem::take(&mut tables.managed);
        let managed_bytes = tables.managed_text_bytes as usize;
        let names = std::mem::take(&mut tables.names);
        let lower = names.to_ascii_lowercase();
        let index = tables::action_index(&tables, &lower);
        let views = (Cow::Owned(names), Cow::Owned(lower), Cow::Owned(index));
        let catalog = Catalog::from_tables(tables, views, origin, bytes.len());
        let _ = catalog.managed.set(ManagedTable::new(tables::managed_lookup(managed), managed_bytes));
        Ok(catalog)
    }

    /// The catalog of parsed tables (without its managed-policy table) and
    /// its action names (as AWS spells them, and in lowercase): the
    /// per-level, per-risk and constrainable sets are derived here.
    fn from_tables(
        t: Tables<'static>,
        (names, lower_names, action_index): (Cow<'static, str>, Cow<'static, str>, Cow<'static, [u8]>),
        origin: &str,
        stored_bytes: usize,
    ) -> Catalog {
        let services: Vec<ServiceEntry> = t.services;
        let actions = t.actions;
        let universe = actions.len();
        // Spanning the whole table from the start: no widening per insert.
        let mut by_level: [ActionSet; 5] = std::array::from_fn(|_| ActionSet::spanning(universe));
        let mut by_risk: [ActionSet; 4] = std::array::from_fn(|_| ActionSet::spanning(universe));
        let mut constrainable = ActionSet::spanning(universe);
        for (i, a) in actions.iter().enumerate() {
            if let Some(s) = by_level.get_mut(level_of(&a).slot()) {
                s.insert(i);
            }
            for r in Risk::ALL {
                if a.risks & r.bit() != 0
                    && let Some(s) = by_risk.get_mut(r as usize)
                {
                    s.insert(i);
                }
            }
            if a.res.1 > a.res.0 {
                constrainable.insert(i);
            }
        }
        let info = CatalogInfo {
            origin: origin.to_owned(),
            format_version: FORMAT_VERSION,
            sources: t
                .sources
                .into_iter()
                .map(|s| SourceInfo { name: s.name, version: s.version, date: s.date, licence: s.licence })
                .collect(),
            services: services.len(),
            actions: actions.len(),
            resource_types: t.resource_types.len(),
            condition_keys: t.condition_keys.len(),
            managed_policies: 0,
            stored_bytes,
            text_bytes: t.text_bytes as usize,
        };
        Catalog {
            info,
            names,
            lower_names,
            action_index,
            services,
            actions,
            resource_types: t.resource_types,
            condition_keys: t.condition_keys,
            res_refs: t.res_refs,
            key_refs: t.key_refs,
            by_level,
            by_risk,
            constrainable,
            managed: OnceLock::new(),
            managed_pending: None,
            managed_text_bytes: 0,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Tells catalogs apart for caches of what is derived from one: every
    /// catalog read or decoded gets its own id; a clone keeps it (its
    /// contents are the same, and a catalog does not change once built).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sources, counts and sizes (reads the managed policies if not done yet).
    pub fn info(&self) -> CatalogInfo {
        let table = self.managed_table();
        let mut info = self.info.clone();
        info.managed_policies = table.entries.len();
        info.text_bytes += table.text_bytes;
        info
    }

    fn managed_table(&self) -> &ManagedTable {
        self.managed.get_or_init(|| match self.managed_pending {
            // The embedded image is tested to decode; a failure here leaves
            // the catalog without managed policies rather than panicking.
            Some(section) => tables::decode_managed(section)
                .map(|e| ManagedTable::new(e, self.managed_text_bytes))
                .unwrap_or_default(),
            None => ManagedTable::default(),
        })
    }

    /// Number of actions (the universe of every [`ActionSet`] of this catalog).
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The service prefixes, sorted.
    pub fn services(&self) -> impl Iterator<Item = &str> + '_ {
        self.services.iter().map(|s| &*s.prefix)
    }

    /// The display name of a service (`Amazon S3`), by prefix, case-insensitively.
    pub fn service_name(&self, prefix: &str) -> Option<&str> {
        self.service_index(prefix.to_ascii_lowercase().as_bytes()).and_then(|i| self.services.get(i)).map(|s| &*s.name)
    }

    /// Every action of a service, by prefix (case-insensitive).
    pub fn service_actions(&self, prefix: &str) -> Option<ActionSet> {
        let s = self.services.get(self.service_index(prefix.to_ascii_lowercase().as_bytes())?)?;
        let mut set = self.empty_set();
        set.insert_range(s.start as usize, s.end as usize);
        Some(set)
    }

    /// Per service with at least one action in `set`: its prefix, how many
    /// of its actions are in the set, and how many it has. In prefix order.
    pub fn service_coverage<'a>(&'a self, set: &'a ActionSet) -> impl Iterator<Item = ServiceCoverage<'a>> + 'a {
        self.services.iter().filter_map(move |s| {
            let granted = set.count_range(s.start as usize, s.end as usize);
            (granted > 0).then_some(ServiceCoverage { prefix: &s.prefix, granted, total: (s.end - s.start) as usize })
        })
    }

    /// Number of actions of a service, by prefix (case-insensitive).
    pub fn service_len(&self, prefix: &str) -> Option<usize> {
        let s = self.services.get(self.service_index(prefix.to_ascii_lowercase().as_bytes())?)?;
        Some((s.end - s.start) as usize)
    }

    /// An action by its full name (`s3:GetObject`), case-insensitively.
    pub fn action(&self, name: &str) -> Option<ActionRef<'_>> {
        // Lowercased on the stack (the lookup runs for every literal action
        // of every policy): names are compared as bytes, which for ASCII
        // case folding is the same as comparing the lowercase strings.
        let mut buf = [0u8; 128];
        let owned;
        let lower: &[u8] = match buf.get_mut(..name.len()) {
            Some(b) => {
                b.copy_from_slice(name.as_bytes());
                b.make_ascii_lowercase();
                b
            }
            None => {
                owned = name.to_ascii_lowercase();
                owned.as_bytes()
            }
        };
        let colon = lower.iter().position(|&c| c == b':')?;
        let (svc, act) = (lower.get(..colon)?, lower.get(colon + 1..)?);
        let slots = self.action_index.len() / 4;
        let mask = slots.checked_sub(1)?;
        let mut at = tables::action_hash(svc, act) as usize & mask;
        // At most every slot once, even in a damaged index.
        for _ in 0..slots {
            let word = self.action_index.get(at * 4..at * 4 + 4)?;
            let i = u32::from_le_bytes(word.try_into().ok()?);
            if i == tables::NO_ACTION {
                return None;
            }
            let a = self.actions.get(i as usize)?;
            if self.lower_name_of(&a).as_bytes() == act
                && self.services.get(a.service as usize).is_some_and(|s| s.prefix.as_bytes() == svc)
            {
                return self.get(ActionId(i));
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// An action by id.
    pub fn get(&self, id: ActionId) -> Option<ActionRef<'_>> {
        self.actions.get(id.index()).map(|entry| ActionRef { catalog: self, id, entry })
    }

    /// The actions of a set, in id order.
    pub fn actions_in<'a>(&'a self, set: &'a ActionSet) -> impl Iterator<Item = ActionRef<'a>> + 'a {
        set.iter().filter_map(move |id| self.get(id))
    }

    /// The empty set of this catalog.
    pub fn empty_set(&self) -> ActionSet {
        ActionSet::empty(self.actions.len())
    }

    /// Every action of this catalog (what `"Action": "*"` grants).
    pub fn all(&self) -> ActionSet {
        ActionSet::full(self.actions.len())
    }

    /// Every action not in `set` (what `"NotAction": [...]` grants).
    pub fn complement(&self, set: &ActionSet) -> ActionSet {
        set.complement()
    }

    /// Every action of an access level.
    pub fn with_level(&self, level: AccessLevel) -> &ActionSet {
        // by_level has one slot per level.
        &self.by_level[level.slot()]
    }

    /// Every action tagged with a risk class.
    pub fn with_risk(&self, risk: Risk) -> &ActionSet {
        &self.by_risk[risk as usize]
    }

    /// Every action that accepts a resource narrower than `*`.
    pub fn constrainable(&self) -> &ActionSet {
        &self.constrainable
    }

    /// Expands one action pattern with IAM semantics: `*` and `?`
    /// wildcards, case-insensitive in both the service and action part.
    /// A pattern without `:` is matched against whole `service:action`
    /// names (so `*` is every action).
    pub fn expand(&self, pattern: &str) -> Expansion {
        let lower = pattern.to_ascii_lowercase();
        let mut set = self.empty_set();
        let invalid = |set| Expansion { actions: set, status: PatternStatus::Invalid };
        if lower.is_empty() || lower.bytes().any(|c| c.is_ascii_whitespace()) {
            return invalid(set);
        }
        if lower.bytes().all(|c| c == b'*') {
            return Expansion { actions: self.all(), status: PatternStatus::Matched };
        }
        let Some((svc, act)) = lower.split_once(':') else {
            return self.expand_whole(&lower, set);
        };
        if act.contains(':') || svc.is_empty() || act.is_empty() {
            return invalid(set);
        }
        let mut any_service = false;
        if glob::has_wildcard(svc) {
            for s in self.services.iter().filter(|s| glob::matches(svc.as_bytes(), s.prefix.as_bytes())) {
                any_service = true;
                self.expand_in_service(s, act, &mut set);
            }
        } else if let Some(s) = self.service_index(svc.as_bytes()).and_then(|i| self.services.get(i)) {
            any_service = true;
            self.expand_in_service(s, act, &mut set);
        }
        let status = if !any_service {
            PatternStatus::UnknownService
        } else if set.is_empty() {
            PatternStatus::UnknownAction
        } else {
            PatternStatus::Matched
        };
        Expansion { actions: set, status }
    }

    /// Expands several patterns into one set and lists the ones that matched nothing.
    pub fn expand_all<'p>(&self, patterns: impl IntoIterator<Item = &'p str>) -> (ActionSet, Vec<UnmatchedPattern>) {
        let mut set = self.empty_set();
        let mut unmatched = Vec::new();
        for p in patterns {
            let e = self.expand(p);
            if e.status == PatternStatus::Matched {
                set.union_with(&e.actions);
            } else {
                unmatched.push(UnmatchedPattern { pattern: p.to_owned(), status: e.status });
            }
        }
        (set, unmatched)
    }

    /// AWS-managed policy by ARN (`arn:aws:iam::aws:policy/IAMFullAccess`,
    /// any partition, with or without its path) or by name (`IAMFullAccess`).
    pub fn managed_policy(&self, arn_or_name: &str) -> Option<ManagedPolicy<'_>> {
        let key = arn_or_name.trim();
        let key = if key.starts_with("arn:") {
            // arn:PARTITION:iam::aws:policy/PATH/NAME
            let mut parts = key.splitn(6, ':');
            let (arn, _partition, service, region, account, resource) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            if arn != "arn" || service != "iam" || !region.is_empty() || account != "aws" {
                return None;
            }
            resource.strip_prefix("policy/")?
        } else {
            key
        };
        let lower = key.to_ascii_lowercase();
        let table = self.managed_table();
        let idx = table.find(&lower).or_else(|| {
            // A path we do not know but a name we do: `policy/job-function/X` written as `policy/X`.
            lower.rsplit_once('/').and_then(|(_, name)| table.find(name))
        })?;
        table.entries.get(idx as usize).map(|entry| ManagedPolicy { entry })
    }

    /// Every managed policy in the catalog, sorted by name.
    pub fn managed_policies(&self) -> impl Iterator<Item = ManagedPolicy<'_>> + '_ {
        self.managed_table().entries.iter().map(|entry| ManagedPolicy { entry })
    }

    fn name_of(&self, a: &ActionEntry) -> &str {
        name_in(&self.names, a)
    }

    fn lower_name_of(&self, a: &ActionEntry) -> &str {
        name_in(&self.lower_names, a)
    }

    /// Strings compare as their bytes: `lower_prefix` may be a `str`'s or a
    /// lowercased buffer's.
    fn service_index(&self, lower_prefix: &[u8]) -> Option<usize> {
        self.services.binary_search_by(|s| s.prefix.as_bytes().cmp(lower_prefix)).ok()
    }

    fn expand_in_service(&self, s: &ServiceEntry, act: &str, set: &mut ActionSet) {
        let (start, end) = (s.start as usize, s.end as usize);
        if start > end || end > self.actions.len() {
            return;
        }
        // The service's names are sorted by their lowercase form.
        let lower_at = |i: usize| self.actions.get(i).map_or("", |a| self.lower_name_of(&a));
        if act.bytes().all(|c| c == b'*') {
            set.insert_range(start, end);
        } else if !glob::has_wildcard(act) {
            let i = partition_point(start, end, |i| lower_at(i) < act);
            if i < end && lower_at(i) == act {
                set.insert(i);
            }
        } else if let Some(prefix) = act.strip_suffix('*').filter(|p| !glob::has_wildcard(p)) {
            // `Get*`: the matches are one contiguous run of the sorted names.
            let lo = partition_point(start, end, |i| lower_at(i) < prefix);
            let hi = partition_point(lo, end, |i| lower_at(i).starts_with(prefix));
            set.insert_range(lo, hi);
        } else {
            for (i, a) in self.actions.range(start, end).enumerate() {
                if glob::matches(act.as_bytes(), self.name_of(&a).as_bytes()) {
                    set.insert(start + i);
                }
            }
        }
    }

    fn expand_whole(&self, lower: &str, mut set: ActionSet) -> Expansion {
        let mut buf = String::new();
        let mut any_service = false;
        // A pattern without `:` can only match names whose service prefix
        // is consistent with its leading literal part.
        let lead = lower.split(['*', '?']).next().unwrap_or("");
        for s in &self.services {
            if !(s.prefix.starts_with(lead) || lead.starts_with(&*s.prefix)) {
                continue;
            }
            for i in s.start as usize..s.end as usize {
                let Some(a) = self.actions.get(i) else { continue };
                buf.clear();
                buf.push_str(&s.prefix);
                buf.push(':');
                buf.push_str(self.name_of(&a));
                if glob::matches(lower.as_bytes(), buf.as_bytes()) {
                    any_service = true;
                    set.insert(i);
                }
            }
        }
        let status = if any_service { PatternStatus::Matched } else { PatternStatus::UnknownService };
        Expansion { actions: set, status }
    }
}

/// The first index in `lo..hi` where `pred` is false (`pred` true on a
/// prefix of the range, as `slice::partition_point`).
fn partition_point(mut lo: usize, mut hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn name_in<'a>(names: &'a str, a: &ActionEntry) -> &'a str {
    tables::name_in(names, a.name)
}
