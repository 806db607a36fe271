//! The label-selector text syntax of `kubectl get -l`, for [`LabelSelector`] and
//! [`SelectorRequirement`].
//!
//! The grammar is the one `k8s.io/apimachinery/pkg/labels.Parse` accepts, minus what a
//! `metav1.LabelSelector` cannot hold (the numeric `<` / `>` comparisons):
//!
//! ```text
//! selector    = ws [ requirement { ws "," requirement } ] ws EOF
//! requirement = ws ( "!" ws key                        (* DoesNotExist *)
//!                  | key ws ( "=" | "==" ) ws value    (* matchLabels pair *)
//!                  | key ws "!=" ws value              (* NotIn [value] *)
//!                  | key ws "in" ws values            (* In *)
//!                  | key ws "notin" ws values         (* NotIn *)
//!                  | key )                             (* Exists *)
//! values      = "(" ws value ws { "," ws value ws } ")"
//! key         = token, at least one character
//! value       = token, possibly empty
//! token       = any characters but whitespace and , = ! ( ) < >
//! ws          = { " " | "\t" | "\r" | "\n" }
//! ```
//!
//! As in kubectl, whitespace may surround every token (`tier in ( a , b )`, `tier notin(a)`,
//! `! debug`), values may be empty (`app=`, `tier in ()`, `tier in (a,)`), and `in` / `notin` are
//! keywords only where an operator is expected, so `in=x` and `app=in` are plain pairs. Unlike
//! `labels.Parse`, value lists keep their order and duplicates, because a `metav1.LabelSelector`
//! holds a list, not a set: `()` is `[""]` and `(a,,b)` is `["a", "", "b"]`.
//!
//! Only the structure is checked here. Whether keys and values are valid label keys and values is
//! left to [`Options::build`](crate::Options::build), which reports each problem with its field path.
//!
//! [`Display`](std::fmt::Display) writes the canonical form (`app=x,tier in (a,b),!debug`:
//! `matchLabels` first in key order, then the expressions in order). Parsing it gives back an equal
//! value whenever every key is a non-empty token, every value a (possibly empty) token, every
//! `In` / `NotIn` has at least one value and every `Exists` / `DoesNotExist` has none; anything else
//! cannot be spelled in this syntax, so it is written as closely as it can be.

use std::collections::btree_map::Entry;
use std::fmt;
use std::str::FromStr;

use winnow::LocatingSlice;
use winnow::ascii::multispace0;
use winnow::combinator::{alt, cut_err, eof, fail, opt, peek, preceded, separated};
use winnow::error::ContextError;
use winnow::prelude::*;
use winnow::stream::Location;
use winnow::token::{one_of, take_while};

use crate::options::{LabelSelector, SelectorOperator, SelectorRequirement};

/// Why a text is not a label selector (or requirement): where and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    input: String,
    offset: usize,
    message: String,
}

impl SyntaxError {
    /// The whole text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Byte offset into [`input`](Self::input) of the problem; `input().len()` at end of input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was expected there, e.g. `expected '(' to open the value list`.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn new(input: &str, offset: usize, message: impl Into<String>) -> Self {
        Self {
            input: input.to_owned(),
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug quoting keeps control characters and stray quotes in the input readable.
        write!(
            f,
            "{:?} at offset {}: {}",
            self.input, self.offset, self.message
        )
    }
}

impl std::error::Error for SyntaxError {}

/// Parses kubectl's selector syntax, e.g. `app=x,tier in (a, b),!debug`; see the
/// [module documentation](crate::options::selector_syntax) for the grammar.
///
/// ```
/// use igw_monitoring::{LabelSelector, SelectorRequirement};
///
/// let selector: LabelSelector = "app=epp, tier in (a, b), !debug".parse()?;
/// assert_eq!(
///     selector,
///     LabelSelector::default()
///         .match_label("app", "epp")
///         .match_expression(SelectorRequirement::is_in("tier", ["a", "b"]))
///         .match_expression(SelectorRequirement::does_not_exist("debug")),
/// );
/// assert_eq!(selector.to_string(), "app=epp,tier in (a,b),!debug");
///
/// let err = "tier in (a".parse::<LabelSelector>().unwrap_err();
/// assert_eq!(err.offset(), 10);
/// assert_eq!(
///     err.to_string(),
///     r#""tier in (a" at offset 10: expected ',' or ')' to close the value list"#,
/// );
/// # Ok::<(), igw_monitoring::SyntaxError>(())
/// ```
impl FromStr for LabelSelector {
    type Err = SyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let requirements = run(selector, s)?;
        let mut parsed = LabelSelector::default();
        for located in requirements {
            match located.requirement {
                Requirement::Equals { key, value } => {
                    match parsed.match_labels.entry(key.to_owned()) {
                        Entry::Vacant(entry) => {
                            entry.insert(value.to_owned());
                        }
                        // Repeating a pair is harmless, but matchLabels is a map and cannot hold
                        // two values for one key (which no pod could match anyway).
                        Entry::Occupied(entry) if entry.get() == value => {}
                        Entry::Occupied(entry) => {
                            return Err(SyntaxError::new(
                                s,
                                located.offset,
                                format!(
                                    "label {key:?} is already required to equal {:?}; \
                                     no pod can carry both values",
                                    entry.get()
                                ),
                            ));
                        }
                    }
                }
                Requirement::Expression(expression) => parsed.match_expressions.push(expression),
            }
        }
        Ok(parsed)
    }
}

/// Parses exactly one set-based requirement: `key in (a,b)`, `key notin (a)`, `key!=a`, `key` or
/// `!key`.
///
/// `key=value` is rejected: it is a `matchLabels` pair, so parse it as a [`LabelSelector`].
///
/// ```
/// use igw_monitoring::SelectorRequirement;
///
/// let requirement: SelectorRequirement = "tier notin (canary)".parse()?;
/// assert_eq!(requirement, SelectorRequirement::not_in("tier", ["canary"]));
/// assert_eq!("tier!=canary".parse::<SelectorRequirement>()?, requirement);
/// assert!("tier=canary".parse::<SelectorRequirement>().is_err());
/// # Ok::<(), igw_monitoring::SyntaxError>(())
/// ```
impl FromStr for SelectorRequirement {
    type Err = SyntaxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let located = run(single_requirement, s)?;
        match located.requirement {
            Requirement::Expression(expression) => Ok(expression),
            Requirement::Equals { .. } => Err(SyntaxError::new(
                s,
                located.operator_offset,
                "expected a set-based operator ('!=', 'in' or 'notin'): 'key=value' is a \
                 matchLabels pair, so parse it as a LabelSelector (or write 'key in (value)')",
            )),
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut separator = "";
        for (key, value) in &self.match_labels {
            write!(f, "{separator}{key}={value}")?;
            separator = ",";
        }
        for expression in &self.match_expressions {
            write!(f, "{separator}{expression}")?;
            separator = ",";
        }
        Ok(())
    }
}

impl fmt::Display for SelectorRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keyword = match self.operator {
            SelectorOperator::Exists => return f.write_str(&self.key),
            SelectorOperator::DoesNotExist => return write!(f, "!{}", self.key),
            SelectorOperator::In => "in",
            // Always the list form: `key!=v` would parse to the same value, but one spelling per
            // operator keeps the output predictable.
            SelectorOperator::NotIn => "notin",
        };
        write!(f, "{} {keyword} ({})", self.key, self.values.join(","))
    }
}

/// The parser's input: the text, with the offsets errors and requirements report.
type Input<'i> = LocatingSlice<&'i str>;

/// The parser's result; each context is a message for [`SyntaxError`], innermost first.
type PResult<O> = ModalResult<O, ContextError<&'static str>>;

/// One parsed requirement, before it is sorted into `matchLabels` or `matchExpressions`.
enum Requirement<'i> {
    Equals { key: &'i str, value: &'i str },
    Expression(SelectorRequirement),
}

/// A [`Requirement`] with where it starts and where its operator starts, for error offsets.
struct Located<'i> {
    offset: usize,
    operator_offset: usize,
    requirement: Requirement<'i>,
}

/// The binary operators of the syntax.
#[derive(Clone, Copy)]
enum Operator {
    Equals,
    NotEquals,
    In,
    NotIn,
}

const EXPECTED_KEY: &str = "expected a label key or '!'";
const EXPECTED_END: &str = "expected ',' or end of input";

/// Runs `parser` over the whole of `s`, turning winnow's error into a [`SyntaxError`].
fn run<'i, O>(
    mut parser: impl FnMut(&mut Input<'i>) -> PResult<O>,
    s: &'i str,
) -> Result<O, SyntaxError> {
    parser.parse(LocatingSlice::new(s)).map_err(|error| {
        let message = error
            .inner()
            .context()
            .next()
            .copied()
            // Every failing path adds a context; this only guards against a future one that does not.
            .unwrap_or("unexpected input");
        SyntaxError::new(s, error.offset(), message)
    })
}

/// `selector`: zero or more comma-separated requirements.
fn selector<'i>(input: &mut Input<'i>) -> PResult<Vec<Located<'i>>> {
    multispace0.parse_next(input)?;
    if opt(eof).parse_next(input)?.is_some() {
        return Ok(Vec::new());
    }
    let first = requirement.parse_next(input)?;
    let mut requirements = vec![first];
    while opt((multispace0, ',')).parse_next(input)?.is_some() {
        requirements.push(cut_err(requirement).parse_next(input)?);
    }
    end_of_input(input)?;
    Ok(requirements)
}

/// A [`SelectorRequirement`]'s text: exactly one requirement.
fn single_requirement<'i>(input: &mut Input<'i>) -> PResult<Located<'i>> {
    let located = requirement.parse_next(input)?;
    multispace0.parse_next(input)?;
    cut_err(eof)
        .context("expected end of input: a SelectorRequirement is a single requirement")
        .parse_next(input)?;
    Ok(located)
}

/// The end of the input, after trailing whitespace; anything else there is misplaced.
fn end_of_input(input: &mut Input<'_>) -> PResult<()> {
    multispace0.parse_next(input)?;
    cut_err(eof).context(EXPECTED_END).void().parse_next(input)
}

/// `requirement`; every failure is a cut, as no other alternative could match.
fn requirement<'i>(input: &mut Input<'i>) -> PResult<Located<'i>> {
    multispace0.parse_next(input)?;
    let offset = input.current_token_start();
    if opt('!').parse_next(input)?.is_some() {
        multispace0.parse_next(input)?;
        let key = cut_err(key)
            .context("expected a label key after '!'")
            .parse_next(input)?;
        return Ok(Located {
            offset,
            operator_offset: offset,
            requirement: Requirement::Expression(SelectorRequirement::does_not_exist(key)),
        });
    }
    let key = cut_err(key).context(EXPECTED_KEY).parse_next(input)?;
    multispace0.parse_next(input)?;
    let operator_offset = input.current_token_start();
    // As in kubectl, a key alone ends where the requirement does; anything else must be an operator.
    if peek(opt(alt((eof.void(), ','.void()))))
        .parse_next(input)?
        .is_some()
    {
        return Ok(Located {
            offset,
            operator_offset,
            requirement: Requirement::Expression(SelectorRequirement::exists(key)),
        });
    }
    let requirement = match cut_err(operator)
        .context("expected an operator ('=', '==', '!=', 'in' or 'notin'), ',' or end of input")
        .parse_next(input)?
    {
        Operator::Equals => Requirement::Equals {
            key,
            value: exact_value(input)?,
        },
        Operator::NotEquals => {
            Requirement::Expression(SelectorRequirement::not_in(key, [exact_value(input)?]))
        }
        Operator::In => Requirement::Expression(SelectorRequirement::is_in(key, values(input)?)),
        Operator::NotIn => {
            Requirement::Expression(SelectorRequirement::not_in(key, values(input)?))
        }
    };
    Ok(Located {
        offset,
        operator_offset,
        requirement,
    })
}

/// A binary operator; `in` / `notin` only as whole tokens, so `a inx` is not `a in x`.
fn operator(input: &mut Input<'_>) -> PResult<Operator> {
    alt((
        "==".value(Operator::Equals),
        "=".value(Operator::Equals),
        "!=".value(Operator::NotEquals),
        numeric_comparison,
        token.verify_map(|word| match word {
            "in" => Some(Operator::In),
            "notin" => Some(Operator::NotIn),
            _ => None,
        }),
    ))
    .parse_next(input)
}

/// kubectl's `<` / `>`, which a `metav1.LabelSelector` cannot hold: a clearer error than "expected".
fn numeric_comparison(input: &mut Input<'_>) -> PResult<Operator> {
    peek(one_of(['<', '>'])).parse_next(input)?;
    cut_err(fail)
        .context("'<' and '>' compare numerically, which a LabelSelector cannot express")
        .parse_next(input)
}

/// The value after `=`, `==` or `!=`: empty only if the requirement ends right there.
fn exact_value<'i>(input: &mut Input<'i>) -> PResult<&'i str> {
    multispace0.parse_next(input)?;
    cut_err(alt((key, peek(alt((eof.void(), ','.void()))).value(""))))
        .context("expected a value, ',' or end of input")
        .parse_next(input)
}

/// `values`: the parenthesized list after `in` / `notin`.
fn values<'i>(input: &mut Input<'i>) -> PResult<Vec<&'i str>> {
    multispace0.parse_next(input)?;
    cut_err('(')
        .context("expected '(' to open the value list")
        .parse_next(input)?;
    let values =
        separated(1.., preceded(multispace0, token), (multispace0, ',')).parse_next(input)?;
    multispace0.parse_next(input)?;
    cut_err(')')
        .context("expected ',' or ')' to close the value list")
        .parse_next(input)?;
    Ok(values)
}

/// A non-empty token.
fn key<'i>(input: &mut Input<'i>) -> PResult<&'i str> {
    take_while(1.., is_token_char).parse_next(input)
}

/// A possibly empty token.
fn token<'i>(input: &mut Input<'i>) -> PResult<&'i str> {
    take_while(0.., is_token_char).parse_next(input)
}

/// kubectl's lexer splits tokens at exactly these characters (its whitespace is ASCII only).
fn is_token_char(c: char) -> bool {
    !matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | ',' | '=' | '!' | '(' | ')' | '<' | '>'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_lose_their_context() {
        for input in ["a <1", "a >", "!", "a,", "a in", "a=(", "a b", "a,b c", ")"] {
            let err = input.parse::<LabelSelector>().unwrap_err();
            assert_ne!(err.message(), "unexpected input", "{input:?}");
        }
    }
}
