//! The catalog's tables as plain data, and their two encodings: the text
//! format of `data/catalog.tsv.gz` (parsed here, sorted and de-duplicated),
//! and the binary image the build script writes from it, which
//! [`crate::Catalog::embedded`] decodes with no decompression and no text
//! parsing. This file is also compiled into `build.rs`, so it uses `std`
//! only.

/// First bytes of a catalog image.
pub(crate) const IMAGE_MAGIC: &[u8; 8] = b"TGCATIMG";

use std::borrow::Cow;

/// Layout version of the image (not of the text format).
pub(crate) const IMAGE_VERSION: u32 = 4;

/// One source the catalog was generated from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawSource {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) date: String,
    pub(crate) licence: String,
}

/// A service: its lowercase prefix, display name and range of actions
/// (the texts borrowed from an image, owned when parsed from text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawService<'a> {
    pub(crate) prefix: Cow<'a, str>,
    pub(crate) name: Cow<'a, str>,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// An action row. `level` indexes List, Read, Write, Permissions
/// management, Tagging (in that order); `risks` has bit `i` for the `i`-th
/// of privilege-escalation, credentials-exposure, data-exfiltration,
/// resource-exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawAction {
    /// Offset and length of the name in [`Tables::names`].
    pub(crate) name: (u32, u32),
    pub(crate) service: u32,
    pub(crate) level: u8,
    pub(crate) risks: u8,
    /// Range into [`Tables::res_refs`].
    pub(crate) res: (u32, u32),
    /// Range into [`Tables::key_refs`].
    pub(crate) keys: (u32, u32),
}

/// A fixed-size record of an image table.
pub(crate) trait Record: Copy {
    /// Bytes of one record.
    const SIZE: usize;
    /// Reads one record from exactly [`Record::SIZE`] bytes.
    fn read(b: &[u8]) -> Option<Self>;
}

fn word(b: &[u8], i: usize) -> Option<u32> {
    b.get(i * 4..i * 4 + 4).and_then(|w| w.try_into().ok()).map(u32::from_le_bytes)
}

impl Record for u32 {
    const SIZE: usize = 4;
    fn read(b: &[u8]) -> Option<u32> {
        word(b, 0)
    }
}

impl Record for RawAction {
    const SIZE: usize = 32;
    fn read(b: &[u8]) -> Option<RawAction> {
        let flags = word(b, 3)?;
        Some(RawAction {
            name: (word(b, 0)?, word(b, 1)?),
            service: word(b, 2)?,
            level: (flags & 0xff) as u8,
            risks: (flags >> 8 & 0xff) as u8,
            res: (word(b, 4)?, word(b, 5)?),
            keys: (word(b, 6)?, word(b, 7)?),
        })
    }
}

/// A table of records: read in place from an image (little-endian, no
/// copy: the embedded catalog's 22,321 action rows are 714 KB) or built in
/// memory from a catalog text.
#[derive(Debug, Clone)]
pub(crate) enum Rows<'a, T> {
    Image(&'a [u8]),
    Owned(Vec<T>),
}

impl<T> Default for Rows<'_, T> {
    fn default() -> Self {
        Rows::Owned(Vec::new())
    }
}

impl<T: Record> Rows<'_, T> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Rows::Image(b) => b.len() / T::SIZE,
            Rows::Owned(v) => v.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn get(&self, i: usize) -> Option<T> {
        match self {
            Rows::Image(b) => T::read(b.get(i.checked_mul(T::SIZE)?..(i + 1).checked_mul(T::SIZE)?)?),
            Rows::Owned(v) => v.get(i).copied(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The records `a..b`; none when the range does not lie in the table
    /// (as `slice::get` of a range).
    pub(crate) fn range(&self, a: usize, b: usize) -> impl Iterator<Item = T> + '_ {
        let ok = a <= b && b <= self.len();
        (if ok { a..b } else { 0..0 }).filter_map(|i| self.get(i))
    }
}

impl<T: Record + PartialEq> PartialEq for Rows<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Record + Eq> Eq for Rows<'_, T> {}

/// An AWS-managed policy: path after `policy/`, default version, document;
/// borrowed from an image, owned when parsed from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawManaged<'a> {
    pub(crate) path: Cow<'a, str>,
    pub(crate) version: Cow<'a, str>,
    /// JSON text; UTF-8 is checked when it is read (most are never read).
    pub(crate) document: Cow<'a, [u8]>,
}

/// A list of strings kept as one text and the end offset of each: an image
/// lends the text (its UTF-8 checked once, not once per string) and no
/// string is allocated on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StrTable<'a> {
    text: Cow<'a, str>,
    ends: Vec<u32>,
}

impl StrTable<'_> {
    pub(crate) fn push(&mut self, s: &str) {
        let text = self.text.to_mut();
        text.push_str(s);
        self.ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th string (`None` past the end, or where a damaged image's
    /// offsets do not fall on character boundaries).
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i.checked_sub(1) {
            Some(p) => *self.ends.get(p)? as usize,
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// Everything a catalog holds, services and actions sorted for binary
/// search; `'a` is the image the string tables are borrowed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tables<'a> {
    pub(crate) sources: Vec<RawSource>,
    /// Every action name, concatenated.
    pub(crate) names: String,
    pub(crate) services: Vec<RawService<'a>>,
    pub(crate) actions: Rows<'a, RawAction>,
    pub(crate) resource_types: StrTable<'a>,
    pub(crate) condition_keys: StrTable<'a>,
    /// `resource type index << 1 | required`.
    pub(crate) res_refs: Rows<'a, u32>,
    pub(crate) key_refs: Rows<'a, u32>,
    /// Managed policies, in file order.
    pub(crate) managed: Vec<RawManaged<'static>>,
    /// Size of the text the tables were parsed from, without and with the
    /// managed-policy lines.
    pub(crate) text_bytes: u64,
    pub(crate) managed_text_bytes: u64,
}

/// Why a catalog text was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextError {
    /// Line `line` does not follow the format (line 0: the whole text).
    Format { line: usize, message: String },
    /// The header names another format version.
    Version { found: String },
}

/// Format version of the catalog text this build reads.
pub(crate) const TEXT_FORMAT_VERSION: u32 = 1;

const LEVEL_CODES: [&str; 5] = ["L", "R", "W", "P", "T"];
const RISK_CODES: [char; 4] = ['e', 'c', 'd', 'x'];

/// The name of an action within `names` (empty when out of range).
pub(crate) fn name_in(names: &str, name: (u32, u32)) -> &str {
    names.get(name.0 as usize..(name.0 as usize).saturating_add(name.1 as usize)).unwrap_or("")
}

/// Marks a free slot of an action index.
pub(crate) const NO_ACTION: u32 = u32::MAX;

/// FNV-1a over `service:action` (the caller passes both parts lowercase):
/// the hash of the action index, the same at build time and at run time.
pub(crate) fn action_hash(service: &[u8], action: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in service.iter().chain(b":").chain(action) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The action index: an open-addressing hash table (linear probing, a
/// power-of-two number of slots, at most half of them used) from the
/// lowercase `service:action` name to the action's position in
/// `Tables::actions`, as little-endian `u32` slots ([`NO_ACTION`]: free).
/// Written into the embedded image by the build script, so that a lookup
/// by name hashes the name and compares one or two entries instead of
/// binary-searching the services and then the service's actions.
pub(crate) fn action_index(t: &Tables<'_>, lower_names: &str) -> Vec<u8> {
    let slots = (t.actions.len() * 2).max(2).next_power_of_two();
    let mut table = vec![NO_ACTION; slots];
    let mask = slots - 1;
    for (i, a) in t.actions.iter().enumerate() {
        let service = t.services.get(a.service as usize).map_or("", |s| s.prefix.as_ref());
        let mut at = action_hash(service.as_bytes(), name_in(lower_names, a.name).as_bytes()) as usize & mask;
        while table.get(at).is_some_and(|&v| v != NO_ACTION) {
            at = (at + 1) & mask;
        }
        if let Some(slot) = table.get_mut(at) {
            *slot = i as u32;
        }
    }
    table.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Parses a catalog text (see the crate README for the format).
pub(crate) fn parse_text(text: &str) -> Result<Tables<'static>, TextError> {
    let err = |line: usize, message: String| TextError::Format { line, message };
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.is_empty());
    match lines.next() {
        Some((_, header)) => {
            let mut f = header.split('\t');
            if f.next() != Some("tollgate-catalog") {
                return Err(err(1, "missing `tollgate-catalog` header".into()));
            }
            let v = f.next().unwrap_or("");
            if v != TEXT_FORMAT_VERSION.to_string() {
                return Err(TextError::Version { found: v.to_owned() });
            }
        }
        None => return Err(err(1, "empty catalog".into())),
    }

    let mut t = Tables::default();
    let (mut res_refs, mut key_refs): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    // Services in file order, each with its actions; sorted below.
    let mut services: Vec<(RawService<'static>, Vec<RawAction>)> = Vec::new();
    for (n, line) in lines {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or("");
        let mut field = |what: &str| f.next().ok_or_else(|| err(n, format!("missing field `{what}`")));
        match kind {
            "#" => {}
            "source" => {
                let name = field("name")?.to_owned();
                let version = field("version")?.to_owned();
                let date = field("date")?.to_owned();
                let licence = field("licence")?.to_owned();
                t.sources.push(RawSource { name, version, date, licence });
            }
            "r" => t.resource_types.push(field("resource type")?),
            "k" => t.condition_keys.push(field("condition key")?),
            "s" => {
                let prefix = field("prefix")?.to_ascii_lowercase();
                if prefix.is_empty() || prefix.contains(':') {
                    return Err(err(n, format!("invalid service prefix `{prefix}`")));
                }
                let name = field("name")?.to_owned();
                services.push((RawService { prefix: prefix.into(), name: name.into(), start: 0, end: 0 }, Vec::new()));
            }
            "a" => {
                let name = field("name")?;
                if name.is_empty() || name.contains(':') {
                    return Err(err(n, format!("invalid action name `{name}`")));
                }
                let level_code = field("access level")?;
                let level = LEVEL_CODES
                    .iter()
                    .position(|c| *c == level_code)
                    .ok_or_else(|| err(n, format!("unknown access level `{level_code}`")))?;
                let res_field = field("resource types")?;
                let key_field = field("condition keys")?;
                let risk_field = field("risks")?;
                let res_start = res_refs.len() as u32;
                for r in res_field.split(',').filter(|r| !r.is_empty()) {
                    let (num, required) = match r.strip_suffix('*') {
                        Some(num) => (num, 1),
                        None => (r, 0),
                    };
                    let idx: u32 = num.parse().map_err(|_| err(n, format!("bad resource type reference `{r}`")))?;
                    if idx as usize >= t.resource_types.len() {
                        return Err(err(n, format!("resource type reference {idx} out of range")));
                    }
                    res_refs.push(idx << 1 | required);
                }
                let key_start = key_refs.len() as u32;
                for k in key_field.split(',').filter(|k| !k.is_empty()) {
                    let idx: u32 = k.parse().map_err(|_| err(n, format!("bad condition key reference `{k}`")))?;
                    if idx as usize >= t.condition_keys.len() {
                        return Err(err(n, format!("condition key reference {idx} out of range")));
                    }
                    key_refs.push(idx);
                }
                let mut risks = 0u8;
                for c in risk_field.chars() {
                    let bit = RISK_CODES
                        .iter()
                        .position(|r| *r == c)
                        .ok_or_else(|| err(n, format!("unknown risk code `{c}`")))?;
                    risks |= 1 << bit;
                }
                let (_, actions) = services.last_mut().ok_or_else(|| err(n, "action before any service".into()))?;
                let at = t.names.len() as u32;
                t.names.push_str(name);
                actions.push(RawAction {
                    name: (at, name.len() as u32),
                    service: 0,
                    level: level as u8,
                    risks,
                    res: (res_start, res_refs.len() as u32),
                    keys: (key_start, key_refs.len() as u32),
                });
            }
            "p" => {
                let path = field("path")?.to_owned();
                let version = field("version")?.to_owned();
                let document = field("document")?.to_owned();
                if path.is_empty() {
                    return Err(err(n, "empty managed policy path".into()));
                }
                t.managed_text_bytes += line.len() as u64 + 1;
                t.managed.push(RawManaged {
                    path: path.into(),
                    version: version.into(),
                    document: document.into_bytes().into(),
                });
            }
            other => return Err(err(n, format!("unknown record kind `{other}`"))),
        }
    }
    t.text_bytes = (text.len() as u64).saturating_sub(t.managed_text_bytes);

    // Sort services and actions so lookups can binary-search; merge
    // duplicate services, drop duplicate actions (first one wins).
    services.sort_by(|a, b| a.0.prefix.cmp(&b.0.prefix));
    let mut merged: Vec<(RawService<'static>, Vec<RawAction>)> = Vec::with_capacity(services.len());
    for (s, actions) in services {
        match merged.last_mut() {
            Some(last) if last.0.prefix == s.prefix => last.1.extend(actions),
            _ => merged.push((s, actions)),
        }
    }
    let names = &t.names;
    let mut all: Vec<RawAction> = Vec::new();
    for (si, (mut s, mut actions)) in merged.into_iter().enumerate() {
        let lower = |a: &RawAction| name_in(names, a.name).bytes().map(|c| c.to_ascii_lowercase());
        // The generator writes actions sorted: check before sorting.
        if !actions.windows(2).all(|w| matches!(w, [a, b] if lower(a).le(lower(b)))) {
            actions.sort_by(|a, b| lower(a).cmp(lower(b)));
        }
        actions.dedup_by(|b, a| name_in(names, a.name).eq_ignore_ascii_case(name_in(names, b.name)));
        s.start = all.len() as u32;
        for mut a in actions {
            a.service = si as u32;
            all.push(a);
        }
        s.end = all.len() as u32;
        t.services.push(s);
    }
    (t.actions, t.res_refs, t.key_refs) = (Rows::Owned(all), Rows::Owned(res_refs), Rows::Owned(key_refs));
    if t.actions.len() > u32::MAX as usize / 2 || t.names.len() > u32::MAX as usize / 2 {
        return Err(err(0, "too many actions".into()));
    }
    Ok(t)
}

/// Writes the tables as an image: header, then every table but the managed
/// policies (the action names also in lowercase), then (at the end, so a
/// reader can stop before it) the managed policies in lookup order and
/// their lookup index ([`managed_lookup`]). Integers are little-endian
/// `u32`, strings length-prefixed UTF-8.
/// (Written by `build.rs`; the library only reads images.)
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn encode(t: &Tables<'_>) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(t.names.len() * 8 + t.managed_text_bytes as usize));
    w.0.extend_from_slice(IMAGE_MAGIC);
    w.u32(IMAGE_VERSION);
    w.u64(t.text_bytes);
    w.u64(t.managed_text_bytes);
    w.len(t.sources.len());
    for s in &t.sources {
        w.str(&s.name);
        w.str(&s.version);
        w.str(&s.date);
        w.str(&s.licence);
    }
    let lower = t.names.to_ascii_lowercase();
    w.str(&t.names);
    w.str(&lower);
    w.len(t.services.len());
    for s in &t.services {
        w.str(&s.prefix);
        w.str(&s.name);
        w.u32(s.start);
        w.u32(s.end);
    }
    w.len(t.actions.len());
    for a in t.actions.iter() {
        w.u32(a.name.0);
        w.u32(a.name.1);
        w.u32(a.service);
        w.u32(u32::from(a.level) | u32::from(a.risks) << 8);
        w.u32(a.res.0);
        w.u32(a.res.1);
        w.u32(a.keys.0);
        w.u32(a.keys.1);
    }
    w.str_table(&t.resource_types);
    w.str_table(&t.condition_keys);
    w.u32s(t.res_refs.len(), t.res_refs.iter());
    w.u32s(t.key_refs.len(), t.key_refs.iter());
    w.bytes(&action_index(t, &lower));
    let (managed, index) = managed_lookup(t.managed.clone());
    w.len(managed.len());
    for m in &managed {
        w.str(&m.path);
        w.str(&m.version);
        w.bytes(&m.document);
    }
    w.len(index.len());
    for (key, i) in &index {
        w.str(key);
        w.u32(*i);
    }
    w.0
}

/// The lookup table of the managed policies: the entries sorted by
/// lowercase name (stable: file order among equal names), and the index
/// from each lowercase path, and from each lowercase name where it first
/// occurs, to the entry; sorted by key, the first entry kept per key.
/// Computed by the build script for the embedded image (a process then
/// only binary-searches it), at load time for a catalog file.
pub(crate) fn managed_lookup(managed: Vec<RawManaged<'_>>) -> ManagedLookup<'_> {
    let name = |m: &RawManaged<'_>| m.path.rsplit('/').next().unwrap_or(&m.path).to_ascii_lowercase();
    let mut entries = managed;
    entries.sort_by_cached_key(|m| name(m));
    let mut index: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
    let mut seen_names = std::collections::HashSet::new();
    for (i, m) in entries.iter().enumerate() {
        index.entry(m.path.to_ascii_lowercase()).or_insert(i as u32);
        let n = name(m);
        if seen_names.insert(n.clone()) {
            index.entry(n).or_insert(i as u32);
        }
    }
    (entries, index.into_iter().map(|(k, i)| (Cow::Owned(k), i)).collect())
}

/// What a catalog borrows from its image: the action names as AWS spells
/// them and in lowercase (at the same offsets), and the action index
/// ([`action_index`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageNames<'a> {
    pub(crate) names: &'a str,
    pub(crate) lower: &'a str,
    pub(crate) action_index: &'a [u8],
}

/// Reads an image written by [`encode`], except its managed policies;
/// returns the tables, the action names (`Tables::names` is left empty:
/// the names stay in the image) and the bytes of the managed-policy
/// section (for [`decode_managed`]).
pub(crate) fn decode(image: &[u8]) -> Result<(Tables<'_>, ImageNames<'_>, &[u8]), String> {
    let mut r = Reader { buf: image, pos: 0 };
    if r.bytes(IMAGE_MAGIC.len())? != IMAGE_MAGIC {
        return Err("not a catalog image".into());
    }
    let version = r.u32()?;
    if version != IMAGE_VERSION {
        return Err(format!("catalog image version {version}, this build reads {IMAGE_VERSION}"));
    }
    let mut t = Tables { text_bytes: r.u64()?, managed_text_bytes: r.u64()?, ..Tables::default() };
    for _ in 0..r.len()? {
        t.sources.push(RawSource { name: r.string()?, version: r.string()?, date: r.string()?, licence: r.string()? });
    }
    let (names, lower) = (r.str()?, r.str()?);
    if lower.len() != names.len() {
        return Err("catalog image: lowercase names differ in length".into());
    }
    let n = r.len()?;
    t.services.reserve(n);
    for _ in 0..n {
        t.services.push(RawService { prefix: r.str()?.into(), name: r.str()?.into(), start: r.u32()?, end: r.u32()? });
    }
    // Read in place: the rows stay in the image.
    let n = r.len()?;
    t.actions =
        Rows::Image(r.bytes(n.checked_mul(<RawAction as Record>::SIZE).ok_or("catalog image: length overflow")?)?);
    t.resource_types = r.str_table()?;
    t.condition_keys = r.str_table()?;
    t.res_refs = Rows::Image(r.u32_bytes()?);
    t.key_refs = Rows::Image(r.u32_bytes()?);
    let action_index = r.blob()?;
    let slots = action_index.len() / 4;
    if action_index.len() % 4 != 0 || !slots.is_power_of_two() || slots <= t.actions.len() {
        return Err("catalog image: bad action index".into());
    }
    let rest = image.get(r.pos..).unwrap_or(&[]);
    Ok((t, ImageNames { names, lower, action_index }, rest))
}

/// The managed policies in lookup order with their index, as
/// [`managed_lookup`] makes them.
pub(crate) type ManagedLookup<'a> = (Vec<RawManaged<'a>>, Vec<(Cow<'a, str>, u32)>);

/// Reads the managed-policy section returned by [`decode`] (the entries and
/// the index the build script wrote); the texts stay in the image.
pub(crate) fn decode_managed(section: &[u8]) -> Result<ManagedLookup<'_>, String> {
    let mut r = Reader { buf: section, pos: 0 };
    let n = r.len()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(RawManaged { path: r.str()?.into(), version: r.str()?.into(), document: r.blob()?.into() });
    }
    let k = r.len()?;
    let mut index = Vec::with_capacity(k);
    let mut last: Option<&str> = None;
    for _ in 0..k {
        let key = r.str()?;
        let i = r.u32()?;
        if i as usize >= n || last.is_some_and(|l| l >= key) {
            return Err("catalog image: bad managed-policy index".into());
        }
        last = Some(key);
        index.push((Cow::Borrowed(key), i));
    }
    Ok((out, index))
}

#[cfg_attr(not(test), allow(dead_code))]
struct Writer(Vec<u8>);

#[cfg_attr(not(test), allow(dead_code))]
impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }

    fn str_table(&mut self, t: &StrTable<'_>) {
        self.str(&t.text);
        self.u32s(t.ends.len(), t.ends.iter().copied());
    }

    /// A count, then `n` little-endian `u32`s.
    fn u32s(&mut self, n: usize, v: impl IntoIterator<Item = u32>) {
        self.len(n);
        for x in v {
            self.u32(x);
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or("catalog image: length overflow")?;
        let b = self.buf.get(self.pos..end).ok_or("catalog image: truncated")?;
        self.pos = end;
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b: [u8; 4] = self.bytes(4)?.try_into().map_err(|_| "catalog image: truncated")?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b: [u8; 8] = self.bytes(8)?.try_into().map_err(|_| "catalog image: truncated")?;
        Ok(u64::from_le_bytes(b))
    }

    /// A count, checked against the bytes left (every item takes at least one).
    fn len(&mut self) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n > self.buf.len().saturating_sub(self.pos) {
            return Err("catalog image: count past the end".into());
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.blob()?).map_err(|_| "catalog image: string not UTF-8".into())
    }

    /// Length-prefixed bytes.
    fn blob(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }

    fn string(&mut self) -> Result<String, String> {
        self.str().map(str::to_owned)
    }

    fn str_table(&mut self) -> Result<StrTable<'a>, String> {
        let text = self.str()?;
        let ends = self.u32s()?;
        if ends.windows(2).any(|w| matches!(w, [a, b] if a > b))
            || ends.last().is_some_and(|&e| e as usize > text.len())
        {
            return Err("catalog image: bad string table".into());
        }
        Ok(StrTable { text: Cow::Borrowed(text), ends })
    }

    fn u32s(&mut self) -> Result<Vec<u32>, String> {
        let b = self.u32_bytes()?;
        Ok(b.chunks_exact(4).filter_map(|c| c.try_into().ok()).map(u32::from_le_bytes).collect())
    }

    /// A counted table of little-endian `u32`s, left in place.
    fn u32_bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.len()?;
        self.bytes(n.checked_mul(4).ok_or("catalog image: length overflow")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "tollgate-catalog\t1\nsource\ttest\t1\t2026-01-01\tMIT\nr\tthing\nk\tx:key\n\
        s\tY\tWhy\na\tb\tR\t\t\t\ns\tx\tExample\na\tlist\tL\t\t\t\na\tDoIt\tW\t0*\t0\tec\na\tdoit\tR\t\t\t\n\
        p\tXFull\tv1\t{}\n";

    #[test]
    fn text_is_sorted_deduplicated_and_round_trips_through_an_image() {
        let t = parse_text(TEXT).unwrap();
        let prefixes: Vec<&str> = t.services.iter().map(|s| s.prefix.as_ref()).collect();
        assert_eq!(prefixes, ["x", "y"]);
        let names: Vec<&str> = t.actions.iter().map(|a| name_in(&t.names, a.name)).collect();
        assert_eq!(names, ["DoIt", "list", "b"]); // sorted case-insensitively, first `doit` kept
        let first = t.actions.get(0).unwrap();
        assert_eq!((first.level, first.risks), (2, 0b11));
        assert_eq!(t.res_refs.iter().collect::<Vec<_>>(), [1]);
        assert_eq!(t.managed.len(), 1);
        assert_eq!(t.text_bytes + t.managed_text_bytes, TEXT.len() as u64);

        let image = encode(&t);
        let (back, names, rest) = decode(&image).unwrap();
        assert_eq!(back, Tables { managed: Vec::new(), names: String::new(), ..t.clone() });
        let lower = t.names.to_ascii_lowercase();
        assert_eq!(names, ImageNames { names: &t.names, lower: &lower, action_index: &action_index(&t, &lower) });
        assert_eq!(decode_managed(rest).unwrap(), managed_lookup(t.managed.clone()));
    }

    #[test]
    fn managed_policies_are_indexed_by_lowercase_path_and_first_name() {
        let raw = |path: &'static str| RawManaged { path: path.into(), version: "v1".into(), document: b"{}".into() };
        let (entries, index) =
            managed_lookup(vec![raw("service-role/Zed"), raw("Alpha"), raw("job-function/Zed"), raw("alpha")]);
        let paths: Vec<&str> = entries.iter().map(|m| m.path.as_ref()).collect();
        assert_eq!(paths, ["Alpha", "alpha", "service-role/Zed", "job-function/Zed"]);
        let index: Vec<(&str, u32)> = index.iter().map(|(k, i)| (k.as_ref(), *i)).collect();
        assert_eq!(
            index,
            [("alpha", 0), ("job-function/zed", 3), ("service-role/zed", 2), ("zed", 2)],
            "a path's first spelling wins; a name points at its first entry"
        );
    }

    #[test]
    fn damaged_images_are_errors() {
        let image = encode(&parse_text(TEXT).unwrap());
        for cut in 0..image.len() {
            let prefix = image.get(..cut).unwrap();
            if let Ok((_, _, rest)) = decode(prefix) {
                assert!(decode_managed(rest).is_err(), "cut at {cut}");
            }
        }
        let mut bad = image.clone();
        bad[8] = 9;
        assert!(decode(&bad).unwrap_err().contains("version 9"));
        assert!(decode(b"nonsense").is_err());
    }
}
