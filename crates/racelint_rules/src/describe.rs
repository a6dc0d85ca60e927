//! Words shared by the race rules: how to name a function, a piece of state, and the
//! evidence that code runs concurrently; the related locations that explain a race.

use crate::{Finding, FixRequest, RaceSpan, Rule};
use racelint_analysis::{Analysis, Evidence, FnId, Narrow, Race, Resolved};
use racelint_diagnostics::TextRange;
use racelint_index::{AccessKind, Callee, Loc};

/// The entry through which context `ci` reaches function `f`: the root of its call path
/// (which prefers a caller holding no lock), `f` itself when `f` is an entry.
pub fn conflict_entry(analysis: &Analysis<'_>, ci: u32, f: FnId) -> FnId {
    analysis
        .call_path(ci, f)
        .first()
        .map_or(f, |(root, _)| *root)
}

/// A function as a reader knows it: `Class.method`, `func`, `outer.inner`.
pub fn function_name(analysis: &Analysis<'_>, f: FnId) -> String {
    let summary = analysis.linker.function(f);
    let module = &analysis.modules()[f.module as usize].module;
    if summary.name == "<module>" {
        return format!("module `{module}`");
    }
    let short = summary
        .qualname
        .strip_prefix(module.as_str())
        .and_then(|s| s.strip_prefix('.'))
        .unwrap_or(&summary.qualname);
    let short: String = short
        .split('.')
        .map(|part| {
            if part.starts_with("<lambda") {
                "<lambda>"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join(".");
    format!("`{short}`")
}

fn short_class(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// How a message names a piece of state.
pub fn state_phrase(analysis: &Analysis<'_>, loc: &Loc, text: &str) -> String {
    match loc {
        Loc::Item(inner) => {
            let container = text.rsplit_once('[').map_or(text, |(c, _)| c);
            format!("an item of {}", state_phrase(analysis, inner, container))
        }
        Loc::Global(path) => {
            let (module, rest) = split_module(analysis, path);
            let mut parts = rest.split('.');
            let first = parts.next().unwrap_or_default();
            let is_class = module.as_ref().is_some_and(|m| {
                matches!(
                    analysis.linker.resolve(&format!("{m}.{first}")),
                    Resolved::Class(_)
                )
            });
            if module.is_none() && rest.contains('.') {
                // No module of the project: an attribute of a module or object of a library
                // (`filepost.choose_boundary` for `urllib3.filepost.choose_boundary`).
                let (owner, attr) = rest.rsplit_once('.').unwrap_or(("", &rest));
                format!("`{text}` (attribute `{attr}` of `{owner}`, outside the project)")
            } else if rest.contains('.') && is_class {
                format!("class attribute `{rest}`")
            } else if rest.contains('.') {
                format!("`{text}` (state reached through module global `{first}`)")
            } else {
                format!("module global `{rest}`")
            }
        }
        Loc::Instance { class, .. } => {
            format!("instance attribute `{text}` of `{}`", short_class(class))
        }
        Loc::Captured { function, name } => {
            let outer = function.rsplit('.').next().unwrap_or(function);
            let name = name.split('.').next().unwrap_or(name);
            format!("`{text}` (`{name}` is a local of `{outer}` shared with nested functions)")
        }
        Loc::Param { .. } | Loc::Unknown(_) | Loc::Via(_) => format!("`{text}`"),
    }
}

/// How a message names state reached through a parameter `param` (dotted) that the start
/// passed an object to: the state as the code spells it, and the object it is.
fn passed_state(analysis: &Analysis<'_>, race: &Race, param: &str, text: &str) -> String {
    let param = param.split('.').next().unwrap_or(param);
    let items = if matches!(race.loc, Loc::Item(_)) {
        "an item of "
    } else {
        ""
    };
    let shown = text
        .strip_suffix(']')
        .and_then(|t| t.rsplit_once('['))
        .map_or(text, |(c, _)| c);
    let (origin, first) = match race.loc.root() {
        Loc::Global(path) => {
            let (_, rest) = split_module(analysis, path);
            let first = rest.split('.').next().unwrap_or_default().to_owned();
            (format!("module global `{first}`"), first)
        }
        Loc::Instance { class, attr } => {
            let first = attr.split('.').next().unwrap_or(attr).to_owned();
            (format!("`self.{first}` of `{}`", short_class(class)), first)
        }
        Loc::Captured { function, name } => {
            let outer = function.rsplit('.').next().unwrap_or(function);
            let first = name.split('.').next().unwrap_or(name);
            let first = first
                .split(racelint_index::PER_ITERATION)
                .next()
                .unwrap_or(first)
                .to_owned();
            (format!("the local `{first}` of `{outer}`"), first)
        }
        _ => ("an object".to_owned(), String::new()),
    };
    let passed = if racelint_index::per_iteration(&race.loc) {
        "made in each iteration of the loop and passed to the threads it starts"
    } else {
        "which the start passes to each thread it runs"
    };
    let which = if first == param {
        origin
    } else {
        format!("`{param}` is {origin}")
    };
    format!("{items}`{shown}` ({which}, {passed})")
}

/// Splits a canonical global path into its module and the rest.
fn split_module(analysis: &Analysis<'_>, path: &str) -> (Option<String>, String) {
    let parts: Vec<&str> = path.split('.').collect();
    for split in (1..parts.len()).rev() {
        let prefix = parts[..split].join(".");
        if matches!(analysis.linker.resolve(&prefix), Resolved::Module(_)) {
            return (Some(prefix), parts[split..].join("."));
        }
    }
    (None, path.to_string())
}

/// What the rule messages say about why the code runs concurrently, plus related
/// locations and notes that back it up.
pub struct Explanation {
    pub why: String,
    pub related: Vec<(u32, TextRange, String)>,
    pub notes: Vec<String>,
}

pub fn explain(analysis: &Analysis<'_>, race: &Race) -> Explanation {
    let context = &analysis.contexts[race.context as usize];
    let f = race.access.func;
    let path = analysis.call_path(race.context, f);
    // A race in the starting thread is outside the context: its root is the one that
    // reaches the write in the started thread.
    let root = if race.in_spawner {
        race.conflict
            .as_ref()
            .and_then(|c| {
                analysis
                    .call_path(race.context, c.access.func)
                    .first()
                    .map(|(r, _)| *r)
            })
            .or_else(|| context.roots.first().copied())
            .unwrap_or(f)
    } else {
        path.first().map_or(f, |(r, _)| *r)
    };
    let root_name = function_name(analysis, root);
    let mut related = Vec::new();
    let mut notes = Vec::new();

    let mut chain: Vec<String> = Vec::new();
    let why = match &context.evidence {
        Evidence::Start {
            kind,
            site,
            spawner,
            repeated,
            ..
        } => {
            let spawner_name = function_name(analysis, *spawner);
            if *spawner != root {
                chain.push(spawner_name.replace('`', ""));
            }
            let started = match repeated {
                Some(reason) => format!(
                    "{root_name} is started here through {} ({reason})",
                    kind.describe()
                ),
                None => format!("{root_name} is started here through {}", kind.describe()),
            };
            related.push((site.module, site.range, started));
            if race.in_spawner {
                let thread_write = race.conflict.as_ref().map(|c| c.access);
                if let Some(w) = thread_write {
                    let writer = function_name(analysis, w.func);
                    related.push((
                        w.func.module,
                        analysis.access(w).range,
                        format!("written here by {writer} in the thread"),
                    ));
                }
                notes.push(format!(
                    "evidence: thread start — {spawner_name} keeps running after it starts {root_name}, and both update this state"
                ));
                return Explanation {
                    why: format!("{spawner_name} updates it while the thread it started ({root_name}) writes it too"),
                    related,
                    notes,
                };
            }
            match (&race.conflict, repeated) {
                (None, Some(reason)) => {
                    notes.push(format!("evidence: thread start — {root_name} {reason}, so several threads run it at once"));
                    format!("{root_name} runs in several threads at once")
                }
                (Some(conflict), _) => {
                    let other = function_name(analysis, conflict.access.func);
                    let b = analysis.access(conflict.access);
                    // An item added or removed, not the state rebound (a list copied and
                    // stored back loses what another thread appends to it).
                    let (writes, written) =
                        if matches!(b.kind, AccessKind::Append | AccessKind::Remove)
                            && !matches!(race.loc, Loc::Item(_))
                        {
                            ("changes its contents", "its contents changed here by")
                        } else {
                            ("writes it", "also written here by")
                        };
                    let who = match conflict.context {
                        None => format!("{other} {writes} while the thread is running"),
                        Some(cj) => {
                            let root = conflict_entry(analysis, cj, conflict.access.func);
                            format!(
                                "{other} {writes} in another thread (entry {})",
                                function_name(analysis, root)
                            )
                        }
                    };
                    related.push((
                        conflict.access.func.module,
                        b.range,
                        format!("{written} {other}, with no lock in common"),
                    ));
                    notes.push(format!(
                        "evidence: thread start — {root_name} runs in its own thread while {who}"
                    ));
                    format!("{root_name} runs in a thread while {who}")
                }
                (None, None) => format!("{root_name} runs in a thread"),
            }
        }
        Evidence::ClassContract {
            class,
            lock,
            declared,
            narrow,
        } => {
            let class_name = analysis.linker.class(*class).name.clone();
            if let Some((site, text)) = lock {
                related.push((
                    site.module,
                    site.range,
                    format!("`{text}` makes `{class_name}` a class meant for several threads"),
                ));
            }
            let basis = if *declared {
                format!("`{class_name}` is declared thread-safe")
            } else {
                format!("`{class_name}` uses a lock")
            };
            let own_state = matches!(race.loc.root(), Loc::Instance { .. });
            let scope = match narrow {
                // The narrowing is about the object's own attributes; a global or a class
                // attribute is shared by threads that each use an object of their own.
                Some(_) if !own_state => {
                    "; this state belongs to no one object, so threads that each use an object of their own share it"
                }
                Some(Narrow::LargeClass) => {
                    "; in a class this large that holds for the state its lock guards somewhere, as it guards this"
                }
                Some(Narrow::OtherObjectsLock) => {
                    "; the lock belongs to another object, so that holds for the state it guards somewhere, as it guards this"
                }
                Some(Narrow::OtherObjectsState) => {
                    "; its lock guards only state of other objects, so that holds for the state it guards somewhere, as it guards this"
                }
                None => "",
            };
            notes.push(format!(
                "evidence: thread-safety contract — {basis}, so its public methods may be called from several threads at once (constructors are exempt){scope}"
            ));
            format!("{basis}, so its methods may run in several threads at once")
        }
        Evidence::ModuleContract { module, lock } => {
            let name = &analysis.modules()[*module as usize].module;
            related.push((
                lock.0.module,
                lock.0.range,
                format!("module `{name}` takes `{}` here", lock.1),
            ));
            notes.push(format!(
                "evidence: thread-safety contract — module `{name}` guards state with the module-level lock `{}`, so its public functions may be called from several threads at once",
                lock.1
            ));
            format!(
                "module `{name}` uses a lock, so its functions may run in several threads at once"
            )
        }
        Evidence::Decorated { site, decorator } => {
            related.push((
                site.module,
                site.range,
                format!("decorated with `{decorator}`, a configured thread entry point"),
            ));
            notes.push(format!("evidence: configuration — `{decorator}` runs the functions it decorates in threads"));
            format!("{root_name} runs in several threads at once")
        }
    };

    // The call path, with a label on each call site after the root.
    for (step, call) in &path {
        chain.push(function_name(analysis, *step).replace('`', ""));
        if let Some(ci) = call {
            let summary = analysis.linker.function(*step);
            let site = &summary.calls[*ci as usize];
            let callee = analysis.linker.modules[step.module as usize]
                .callees
                .get(site.callee as usize);
            let callee = match callee {
                Some(Callee::Path(p)) => p.rsplit('.').next().unwrap_or(p).to_string(),
                Some(Callee::Method { name, .. }) => name.clone(),
                Some(Callee::Function(_)) | None => "<lambda>".into(),
            };
            related.push((
                step.module,
                site.range,
                format!("{} calls `{callee}` here", function_name(analysis, *step)),
            ));
        }
    }
    if chain.len() > 1 {
        notes.insert(0, format!("call path: {}", chain.join(" → ")));
    }
    Explanation {
        why,
        related,
        notes,
    }
}

/// The parts every race finding shares: the explanation, the lock that guards the same state
/// elsewhere (as a related location and a help note), and what a fix needs.
pub struct RaceParts {
    pub state: String,
    pub why: String,
    pub related: Vec<(u32, TextRange, String)>,
    pub notes: Vec<String>,
    pub fix: FixRequest,
    /// Whether a fix may be offered: not in a function some caller runs holding a lock,
    /// where a `with <lock>:` of the same, non-reentrant lock would deadlock.
    pub fixable: bool,
    /// The act of a check (or the read of a split update).
    pub act: Option<TextRange>,
}

pub fn race_parts(analysis: &Analysis<'_>, race: &Race, help_subject: &str) -> RaceParts {
    let access = analysis.access(race.access);
    // Name instance state by the class whose code touches it, not the base that owns it.
    let shown = if matches!(access.loc.root(), Loc::Instance { .. }) {
        &access.loc
    } else {
        &race.loc
    };
    let state = match access.loc.root() {
        Loc::Param { name, .. } => passed_state(analysis, race, name, &access.text),
        _ => state_phrase(analysis, shown, &access.text),
    };
    let explanation = explain(analysis, race);
    let mut related = explanation.related;
    let guard = analysis.guard_of(&race.loc, race.access).map(|(id, lock)| {
        related.push((
            id.func.module,
            lock.range,
            format!("`{}` guards `{}` here", lock.text, analysis.access(id).text),
        ));
        (
            lock.text.clone(),
            analysis.linker.canonical_loc(&lock.loc),
            id.func.module,
        )
    });
    let mut notes = explanation.notes;
    notes.push(match &guard {
        Some((text, _, _)) => {
            format!("help: hold `{text}` around {help_subject}, as the other accesses do")
        }
        None => format!(
            "help: hold one lock around {help_subject} and every other update of this state"
        ),
    });
    let function = analysis.linker.function(race.access.func);
    let class = function.class.map(|ci| {
        analysis.modules()[race.access.func.module as usize].classes[ci]
            .qualname
            .clone()
    });
    RaceParts {
        state,
        why: explanation.why,
        related,
        notes,
        fix: FixRequest {
            stmt: access.stmt,
            loc: race.loc.clone(),
            guard,
            function: function.qualname.clone(),
            class,
            snapshot: None,
        },
        fixable: !analysis.called_holding_a_lock(race.access.func),
        act: access.second,
    }
}

impl RaceParts {
    pub fn finding(
        self,
        rule: &'static Rule,
        race: &Race,
        range: TextRange,
        message: String,
        label: &str,
    ) -> Finding {
        Finding {
            rule,
            module: race.access.func.module,
            range,
            message,
            label: label.into(),
            related: self.related,
            notes: self.notes,
            span: Some(RaceSpan {
                func: race.access.func,
                state: self.fix.loc.root().clone(),
                stmt: self.fix.stmt,
                act: self.act,
            }),
            fix: self.fixable.then_some(self.fix),
        }
    }
}
