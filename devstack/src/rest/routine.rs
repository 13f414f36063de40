//! Functions callable over RPC: reading them from the catalog, choosing the
//! overload a request means (PostgREST's rules), and the SQL that calls one
//! and shapes its result as JSON.

use axum::http::StatusCode;
use tokio_postgres::Row;

use super::error::ApiError;

/// One input parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Name (empty for an unnamed parameter).
    pub name: String,
    /// Type as SQL (`format_type`), e.g. `integer`, `text[]`.
    pub type_sql: String,
    /// Whether it has a default, so an argument may be omitted.
    pub has_default: bool,
    /// Whether it is the `VARIADIC` parameter.
    pub variadic: bool,
}

/// A function as PostgREST's schema cache sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routine {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Input parameters, in order.
    pub params: Vec<Param>,
    /// `RETURNS SETOF` / `RETURNS TABLE`.
    pub returns_set: bool,
    /// `RETURNS void`.
    pub returns_void: bool,
    /// `VOLATILE` (decides a read-write transaction for POST).
    pub volatile: bool,
}

/// Catalog query for the functions named `$2` in schema `$1`.
pub const LOOKUP_SQL: &str = "
select p.proname::text,
       coalesce(p.proargnames, array[]::text[]),
       coalesce(p.proargmodes::text[], array[]::text[]),
       array(select format_type(t, null)
               from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
                    with ordinality as a(t, i)
              order by i),
       p.pronargdefaults::int4,
       p.proretset,
       p.prorettype = 'void'::regtype,
       p.provolatile::text,
       p.provariadic <> 0
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
 where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'
 order by p.oid";

/// Names of every function of schema `$1` (for the "perhaps you meant" hint).
pub const NAMES_SQL: &str = "
select distinct p.proname::text
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
 where n.nspname = $1 and p.prokind = 'f'";

impl Routine {
    /// Builds a routine from a row of [`LOOKUP_SQL`].
    pub fn from_row(schema: &str, row: &Row) -> Routine {
        let names: Vec<String> = row.get(1);
        let modes: Vec<String> = row.get(2);
        let types: Vec<String> = row.get(3);
        let n_defaults = row.get::<_, i32>(4).max(0) as usize;
        let variadic: bool = row.get(8);
        let mut params: Vec<Param> = types
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                matches!(
                    modes.get(*i).map(String::as_str),
                    None | Some("i" | "b" | "v")
                )
            })
            .map(|(i, t)| Param {
                name: names.get(i).cloned().unwrap_or_default(),
                type_sql: t.clone(),
                has_default: false,
                variadic: modes.get(i).map(String::as_str) == Some("v"),
            })
            .collect();
        if variadic && !params.iter().any(|p| p.variadic) {
            if let Some(last) = params.last_mut() {
                last.variadic = true;
            }
        }
        let n = params.len();
        for p in params.iter_mut().skip(n.saturating_sub(n_defaults)) {
            p.has_default = true;
        }
        Routine {
            schema: schema.to_string(),
            name: row.get(0),
            params,
            returns_set: row.get(5),
            returns_void: row.get(6),
            volatile: row.get::<_, String>(7) == "v",
        }
    }

    /// The one unnamed `json`/`jsonb` parameter's type, if that is the whole
    /// signature.
    fn single_json_param(&self) -> Option<&str> {
        match self.params.as_slice() {
            [p] if p.name.is_empty() && (p.type_sql == "json" || p.type_sql == "jsonb") => {
                Some(&p.type_sql)
            }
            _ => None,
        }
    }

    fn accepts_keys(&self, keys: &[String]) -> bool {
        if self.params.iter().any(|p| p.name.is_empty()) {
            return false;
        }
        keys.iter()
            .all(|k| self.params.iter().any(|p| &p.name == k))
            && self
                .params
                .iter()
                .filter(|p| !p.has_default)
                .all(|p| keys.contains(&p.name))
    }
}

/// How the chosen function receives the request's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallArgs {
    /// Named arguments (these keys of the JSON object), possibly none.
    Named(Vec<String>),
    /// The whole body as the one unnamed `json`/`jsonb` parameter.
    SingleJson,
}

/// What the request offers as arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer<'a> {
    /// A POST with a JSON body; `keys` are its object keys (none if the body
    /// is not an object).
    JsonBody {
        /// Keys of the body object, sorted.
        keys: &'a [String],
        /// Whether the body is a JSON object.
        is_object: bool,
    },
    /// Query parameters of a GET/HEAD, or a form body.
    Params(&'a [String]),
}

/// Chooses the overload the request means, as PostgREST does: the functions
/// whose parameter names cover the given keys (and whose required parameters
/// are all given), else a function taking one unnamed json/jsonb parameter.
pub fn choose<'a>(
    routines: &'a [Routine],
    offer: Offer<'_>,
    schema: &str,
    name: &str,
    other_names: &[String],
) -> Result<(&'a Routine, CallArgs), ApiError> {
    let keys: &[String] = match offer {
        Offer::JsonBody { keys, .. } => keys,
        Offer::Params(keys) => keys,
    };
    let is_object = match offer {
        Offer::JsonBody { is_object, .. } => is_object,
        Offer::Params(_) => true,
    };
    let named: Vec<&Routine> = if is_object {
        routines.iter().filter(|r| r.accepts_keys(keys)).collect()
    } else {
        Vec::new()
    };
    let json: Vec<&Routine> = match offer {
        Offer::JsonBody { .. } => routines
            .iter()
            .filter(|r| r.single_json_param().is_some())
            .collect(),
        Offer::Params(_) => Vec::new(),
    };
    let pick = if !named.is_empty() {
        let exact: Vec<&Routine> = named
            .iter()
            .copied()
            .filter(|r| r.params.len() == keys.len())
            .collect();
        let candidates = if exact.len() == 1 { exact } else { named };
        if candidates.len() > 1 {
            return Err(ambiguous(&candidates));
        }
        (candidates[0], CallArgs::Named(keys.to_vec()))
    } else if !json.is_empty() {
        if json.len() > 1 {
            return Err(ambiguous(&json));
        }
        (json[0], CallArgs::SingleJson)
    } else {
        return Err(not_found(routines, offer, schema, name, keys, other_names));
    };
    Ok(pick)
}

fn ambiguous(candidates: &[&Routine]) -> ApiError {
    let list = candidates
        .iter()
        .map(|r| {
            let params = r
                .params
                .iter()
                .map(|p| format!("{} => {}", p.name, p.type_sql))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{}.{}({params})", r.schema, r.name)
        })
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::new(
        StatusCode::MULTIPLE_CHOICES,
        "PGRST203",
        format!("Could not choose the best candidate function between: {list}"),
        None,
        Some("Try renaming the parameters or the function itself in the database so function overloading can be resolved".into()),
    )
}

/// PGRST202 with PostgREST's message, details and hint.
fn not_found(
    overloads: &[Routine],
    offer: Offer<'_>,
    schema: &str,
    name: &str,
    keys: &[String],
    other_names: &[String],
) -> ApiError {
    let func = format!("{schema}.{name}");
    let listed = keys.join(", ");
    let message = if keys.is_empty() {
        format!("Could not find the function {func} without parameters in the schema cache")
    } else {
        format!("Could not find the function {func}({listed}) in the schema cache")
    };
    let with_params = if keys.is_empty() {
        " without parameters".to_string()
    } else {
        format!(
            " with parameter{} {listed}",
            if keys.len() > 1 { "s" } else { "" }
        )
    };
    let json_alt = match offer {
        Offer::JsonBody { .. } => " or with a single unnamed json/jsonb parameter",
        Offer::Params(_) => "",
    };
    let details = format!(
        "Searched for the function {func}{with_params}{json_alt}, but no matches were found in the schema cache."
    );
    let hint = if overloads.is_empty() {
        other_names
            .iter()
            .map(|n| (similarity(n, name), n))
            .filter(|(score, _)| *score >= 0.75)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| format!("Perhaps you meant to call the function {schema}.{n}"))
    } else {
        let wanted = format!("({})", sorted(keys).join(", "));
        overloads
            .iter()
            .map(|r| {
                let names: Vec<String> = r.params.iter().map(|p| p.name.clone()).collect();
                format!("({})", sorted(&names).join(", "))
            })
            .map(|list| (similarity(&list, &wanted), list))
            .filter(|(score, _)| *score >= 0.33)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, list)| {
                format!("Perhaps you meant to call the function {schema}.{name}{list}")
            })
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        "PGRST202",
        message,
        Some(details),
        hint,
    )
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut v = items.to_vec();
    v.sort();
    v
}

/// Similarity in [0, 1] from the edit distance, like the Levenshtein
/// re-scoring of the fuzzy set PostgREST uses for its hints.
pub fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    1.0 - prev[b.len()] as f64 / longest as f64
}

/// Double-quotes an identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The statement calling `routine`. Its one parameter (`$1`, text) is the
/// JSON arguments object or, for [`CallArgs::SingleJson`], the whole body.
/// It returns the body as JSON text, the number of rows, and the
/// `response.status` / `response.headers` the function may have set.
pub fn call_sql(routine: &Routine, args: &CallArgs) -> String {
    let func = format!(
        "{}.{}",
        quote_ident(&routine.schema),
        quote_ident(&routine.name)
    );
    let from = match args {
        CallArgs::SingleJson => {
            let ty = routine.single_json_param().unwrap_or("json");
            format!("{func}($1::text::{ty}) as _pgrst_r")
        }
        // $1 is bound even without arguments: PostgreSQL caches a generic
        // plan for a statement without parameters, and such a plan may have
        // inlined the function under the role of an earlier caller.
        CallArgs::Named(keys) if keys.is_empty() => {
            format!("{func}() as _pgrst_r where $1::text is not null")
        }
        CallArgs::Named(keys) => {
            let params: Vec<&Param> = keys
                .iter()
                .filter_map(|k| routine.params.iter().find(|p| &p.name == k))
                .collect();
            let columns = params
                .iter()
                .map(|p| format!("{} {}", quote_ident(&p.name), p.type_sql))
                .collect::<Vec<_>>()
                .join(", ");
            let call_args = params
                .iter()
                .map(|p| {
                    let q = quote_ident(&p.name);
                    let variadic = if p.variadic { "variadic " } else { "" };
                    format!("{variadic}{q} := _pgrst_args.{q}")
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "json_to_record($1::text::json) as _pgrst_args({columns}), \
                 lateral {func}({call_args}) as _pgrst_r"
            )
        }
    };
    let body = if routine.returns_void {
        "null::json"
    } else if routine.returns_set {
        "coalesce(json_agg(_pgrst_r), '[]')"
    } else {
        "json_agg(_pgrst_r) -> 0"
    };
    format!(
        "with _pgrst_result as materialized (\
           select {body} as body, count(*) as n from {from}) \
         select body::text, n, \
                nullif(current_setting('response.status', true), ''), \
                nullif(current_setting('response.headers', true), '') \
           from _pgrst_result"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, ty: &str, has_default: bool) -> Param {
        Param {
            name: name.into(),
            type_sql: ty.into(),
            has_default,
            variadic: false,
        }
    }

    fn routine(params: Vec<Param>) -> Routine {
        Routine {
            schema: "public".into(),
            name: "f".into(),
            params,
            returns_set: false,
            returns_void: false,
            volatile: true,
        }
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn named_arguments_pick_the_matching_overload() {
        let a = routine(vec![param("a", "integer", false)]);
        let ab = routine(vec![param("a", "integer", false), param("b", "text", true)]);
        let routines = vec![a.clone(), ab.clone()];
        let k = keys(&["a", "b"]);
        let (chosen, args) = choose(
            &routines,
            Offer::JsonBody {
                keys: &k,
                is_object: true,
            },
            "public",
            "f",
            &[],
        )
        .unwrap();
        assert_eq!(chosen, &ab);
        assert_eq!(args, CallArgs::Named(k.clone()));
        // {"a": ..} fits both; the exact signature wins.
        let k = keys(&["a"]);
        let (chosen, _) = choose(&routines, Offer::Params(&k), "public", "f", &[]).unwrap();
        assert_eq!(chosen, &a);
    }

    #[test]
    fn single_unnamed_json_takes_any_body() {
        let j = routine(vec![param("", "jsonb", false)]);
        let routines = vec![j.clone()];
        let k = keys(&["x", "y"]);
        let (chosen, args) = choose(
            &routines,
            Offer::JsonBody {
                keys: &k,
                is_object: true,
            },
            "public",
            "f",
            &[],
        )
        .unwrap();
        assert_eq!((chosen, args), (&j, CallArgs::SingleJson));
        assert!(choose(&routines, Offer::Params(&k), "public", "f", &[]).is_err());
    }

    #[test]
    fn missing_function_reports_like_postgrest() {
        let k = keys(&["a", "b"]);
        let e = choose(
            &[],
            Offer::JsonBody {
                keys: &k,
                is_object: true,
            },
            "public",
            "nope",
            &keys(&["nopes", "other"]),
        )
        .unwrap_err();
        assert_eq!(e.status.as_u16(), 404);
        assert_eq!(e.body.code, "PGRST202");
        assert_eq!(
            e.body.message,
            "Could not find the function public.nope(a, b) in the schema cache"
        );
        assert_eq!(
            e.body.details.as_deref(),
            Some("Searched for the function public.nope with parameters a, b or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.")
        );
        assert_eq!(
            e.body.hint.as_deref(),
            Some("Perhaps you meant to call the function public.nopes")
        );
        let none: Vec<String> = vec![];
        let e = choose(&[], Offer::Params(&none), "public", "zzz", &[]).unwrap_err();
        assert_eq!(
            e.body.message,
            "Could not find the function public.zzz without parameters in the schema cache"
        );
        assert_eq!(e.body.hint, None);
    }

    #[test]
    fn missing_required_argument_suggests_the_signature() {
        let routines = vec![routine(vec![
            param("a", "integer", false),
            param("b", "integer", false),
        ])];
        let k = keys(&["a"]);
        let e = choose(&routines, Offer::Params(&k), "public", "f", &[]).unwrap_err();
        assert_eq!(
            e.body.hint.as_deref(),
            Some("Perhaps you meant to call the function public.f(a, b)")
        );
    }

    #[test]
    fn same_names_different_types_are_ambiguous() {
        let routines = vec![
            routine(vec![param("a", "integer", false)]),
            routine(vec![param("a", "text", false)]),
        ];
        let k = keys(&["a"]);
        let e = choose(&routines, Offer::Params(&k), "public", "f", &[]).unwrap_err();
        assert_eq!(e.status.as_u16(), 300);
        assert_eq!(e.body.code, "PGRST203");
    }

    #[test]
    fn call_sql_uses_json_to_record_and_named_notation() {
        let r = routine(vec![
            param("a", "integer", false),
            param("weird\"name", "text[]", false),
        ]);
        let sql = call_sql(&r, &CallArgs::Named(keys(&["a", "weird\"name"])));
        assert!(sql.contains(
            "json_to_record($1::text::json) as _pgrst_args(\"a\" integer, \"weird\"\"name\" text[])"
        ));
        assert!(sql.contains("\"public\".\"f\"(\"a\" := _pgrst_args.\"a\""));
        assert!(sql.contains("json_agg(_pgrst_r) -> 0"));
    }

    #[test]
    fn similarity_is_one_for_equal_strings() {
        assert_eq!(similarity("abc", "ABC"), 1.0);
        assert!(similarity("kitten", "sitting") < 0.75);
    }
}
