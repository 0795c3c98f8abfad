//! Running a scan once its files are read: the files grouped into units
//! (Terraform's grouping lives in `parse::terraform::units`), every unit
//! parsed, evaluated and turned into a graph on the worker pool, and the
//! results put back in a stable order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use tollgate_catalog::Catalog;

use super::discover::{FileClass, document_format, read_error_diagnostic};
use super::schedule::big_first;
use super::{ScanOutput, ScanStats, ScanTimings, Unit, micros_since};
use crate::diagnostic::Diagnostic;
use crate::graph::{Graph, SourceKind};
use crate::parse::context::ParseContext;
use crate::parse::terraform::TerraformDir;
use crate::parse::terraform::units::{Covered, Grouping, Roots};
use crate::parse::{self, DocFormat, Document};
use crate::source::{self, ReadError, SourceFile};

/// A file read for the scan: its path, class and text (or why not).
pub(super) type ReadFile = (PathBuf, FileClass, std::result::Result<Arc<str>, ReadError>);

/// What one job did to the summary's file counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileOutcome {
    /// A Terraform root: its files were counted when they were grouped.
    Counted,
    /// A document parsed into a unit.
    Scanned,
    /// A document that is none of ours (not a template, policy or plan).
    Skipped,
    /// A document that could not be parsed.
    Failed,
}

/// What [`run`] needs besides the files.
pub(super) struct Run<'a> {
    pub(super) ctx: &'a ParseContext,
    /// Action catalog for the graphs' `grants` (`None`: the embedded one).
    pub(super) catalog: Option<&'a Catalog>,
    pub(super) skipped: usize,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) timings: ScanTimings,
    pub(super) start: Instant,
}

/// Groups read files into units, parses them in parallel, builds graphs and
/// hands each unit to `visit`.
pub(super) fn run<T: Send>(run: Run<'_>, read: Vec<ReadFile>, visit: &(dyn Fn(Unit) -> T + Sync)) -> ScanOutput<T> {
    let Run { ctx, catalog, skipped, mut diagnostics, mut timings, start } = run;
    let mut stats = ScanStats { files_skipped: skipped, ..ScanStats::default() };
    let mut sources = BTreeMap::new();
    let mut grouping = Grouping::default();
    let mut documents = Vec::new();
    for (path, class, text) in read {
        let display = source::display_path(&path);
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                stats.files_failed += 1;
                diagnostics.push(read_error_diagnostic(&display, &e));
                continue;
            }
        };
        sources.insert(display.clone(), text.clone());
        let file = SourceFile { path: display, fs_path: path, text };
        match class {
            FileClass::Terraform => grouping.add(file, false),
            FileClass::TfVars => grouping.add(file, true),
            FileClass::Document(format) => {
                let format = document_format(format, &file.text);
                documents.push((file, format));
            }
        }
    }
    let dirs = grouping.finish();
    stats.files_scanned += dirs.iter().map(|d| d.files.len() + d.var_files.len()).sum::<usize>();
    let plans: Vec<Option<parse::json::Node>> = documents
        .par_iter()
        .map(|(f, fmt)| {
            if *fmt != DocFormat::Json || !parse::terraform::plan::may_be_plan(&f.text) {
                return None;
            }
            parse::json::parse(&f.text, &f.path).ok().filter(parse::terraform::plan::is_plan)
        })
        .collect();
    let covered =
        Covered::new(ctx, documents.iter().zip(&plans).filter(|(_, plan)| plan.is_some()).map(|((f, _), _)| f));

    let roots_start = Instant::now();
    let roots = Roots::find(&dirs, &covered, &mut diagnostics);
    timings.terraform_parse_micros = micros_since(roots_start);

    enum Job<'a> {
        Terraform(&'a TerraformDir),
        Doc(&'a SourceFile, DocFormat),
        Plan(&'a SourceFile, &'a parse::json::Node),
    }
    let terraform_jobs = |roots: &[usize]| -> Vec<Job<'_>> {
        roots.iter().filter_map(|i| dirs.get(*i)).filter(|d| !d.files.is_empty()).map(Job::Terraform).collect()
    };
    let mut jobs = terraform_jobs(&roots.first);
    jobs.extend(documents.iter().zip(&plans).map(|((f, fmt), plan)| match plan {
        Some(node) => Job::Plan(f, node),
        None => Job::Doc(f, *fmt),
    }));

    if catalog.is_none() {
        // Decode the embedded action catalog on another worker while the
        // first units are parsed and evaluated: the first graph with a
        // policy needs it. Spawned here and not before the files are
        // grouped: a worker waiting in a parallel loop there would run the
        // decode first and hold up the grouping.
        rayon::spawn(|| {
            let _ = tollgate_catalog::Catalog::embedded();
        });
    }
    let units_start = Instant::now();
    let eval_job = |job: &Job<'_>| {
        let t = Instant::now();
        let (unit, diags, outcome, parse) = match job {
            Job::Terraform(dir) => {
                let mut out = parse::terraform::load(ctx, dir, &dirs);
                let parse = micros_since(t);
                let graph = build_graph(catalog, out.resources, out.edges, &mut out.diagnostics);
                let unit = Unit { kind: SourceKind::Terraform, root: dir.display.clone(), graph };
                (Some(unit), out.diagnostics, FileOutcome::Counted, parse)
            }
            Job::Plan(file, node) => {
                let mut out = parse::terraform::plan::load(ctx, file, node);
                let parse = micros_since(t);
                let graph = build_graph(catalog, out.resources, out.edges, &mut out.diagnostics);
                (
                    Some(Unit { kind: SourceKind::TerraformPlan, root: file.path.clone(), graph }),
                    out.diagnostics,
                    FileOutcome::Scanned,
                    parse,
                )
            }
            Job::Doc(file, format) => match parse::load_document(ctx, file, *format) {
                Document::Unit(kind, mut out) => {
                    let parse = micros_since(t);
                    let graph = build_graph(catalog, out.resources, out.edges, &mut out.diagnostics);
                    let unit = Unit { kind, root: file.path.clone(), graph };
                    (Some(unit), out.diagnostics, FileOutcome::Scanned, parse)
                }
                Document::Skipped => (None, Vec::new(), FileOutcome::Skipped, micros_since(t)),
                Document::Failed(d) => (None, vec![d], FileOutcome::Failed, micros_since(t)),
            },
        };
        let total = micros_since(t);
        let unit = unit.map(|u| (u.root.clone(), u.graph.resources.len(), visit(u)));
        (unit, diags, outcome, parse, total.saturating_sub(parse))
    };
    let cost = |job: &Job<'_>| match job {
        Job::Terraform(dir) => dir.unit_bytes(&dirs),
        Job::Doc(file, _) | Job::Plan(file, _) => file.text.len(),
    };
    let mut results: Vec<_> = big_first(&jobs, cost, eval_job);
    let broken: BTreeSet<Arc<str>> = results
        .iter()
        .flat_map(|r| r.1.iter())
        .filter(|d| matches!(d.code, "parse" | "limit"))
        .map(|d| d.file.clone())
        .collect();
    let extra = roots.after_broken(&dirs, &broken, &covered, &mut diagnostics);
    if !extra.is_empty() {
        results.extend(big_first(&terraform_jobs(&extra), cost, eval_job));
    }
    timings.units_wall_micros = micros_since(units_start);

    let mut units = Vec::new();
    for (unit, diags, outcome, parse, graph) in results {
        timings.parse_micros += parse;
        timings.graph_micros += graph;
        match outcome {
            FileOutcome::Scanned => stats.files_scanned += 1,
            FileOutcome::Skipped => stats.files_skipped += 1,
            FileOutcome::Failed => stats.files_failed += 1,
            FileOutcome::Counted => {}
        }
        if let Some(u) = unit {
            units.push(u);
        }
        diagnostics.extend(diags);
    }
    // Skipped documents are not kept as sources.
    let keep: BTreeSet<Arc<str>> = units.iter().map(|u| u.0.clone()).collect();
    sources.retain(|path, _| {
        !path.ends_with(".json") && !path.ends_with(".yaml") && !path.ends_with(".yml") && !path.ends_with(".template")
            || keep.contains(path)
            || diagnostics.iter().any(|d| &d.file == path)
    });
    units.sort_by(|a, b| a.0.cmp(&b.0));
    diagnostics.sort();
    diagnostics.dedup();
    stats.units = units.len();
    stats.resources = units.iter().map(|u| u.1).sum();
    timings.total_micros = micros_since(start);
    let units = units.into_iter().map(|u| u.2).collect();
    ScanOutput { units, diagnostics, stats, sources, timings }
}

/// A unit's graph, with a `limit` error when its statements outran the
/// wildcard-expansion budget: the statements past it carry no `grants`,
/// so rules match their actions only literally and may miss what they
/// grant. A truncated unit cannot pass the gate.
fn build_graph(
    catalog: Option<&Catalog>,
    resources: Vec<crate::graph::Resource>,
    edges: Vec<crate::graph::Edge>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Graph {
    let mut graph = Graph::build_with(resources, edges, catalog);
    if let Some(loc) = graph.grants_truncated.take() {
        diagnostics.push(
            Diagnostic::error(
                loc.file.clone(),
                "limit",
                format!(
                    "the unit's action wildcards need more than {} catalog expansions: from {} on, statements \
                     are matched by literal action names only and what their wildcards grant is not checked",
                    crate::graph::grants::MAX_WILDCARD_EXPANSIONS,
                    loc.address
                ),
            )
            .at(loc.line, 1),
        );
    }
    graph
}
