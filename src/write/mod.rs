//! The writers: every text a plan or a bundle is written as (YAML, JSON, Terraform, a Kustomize
//! base, the dashboard). Each reads the plan or the typed objects; none derives a value again.

use crate::diagnostics::Error;
use crate::kinds::Object;
use crate::objects::bundle::{Bundle, ObjectSink};
use crate::plan::Plan;
use kustomize::GeneratedFile;

pub(crate) mod dashboard;
pub mod emit;
pub mod grafana;
pub mod kustomize;
pub mod terraform;

/// Anything that yields a bundle's objects in the order they are applied: a [`Plan`] makes each
/// only when it is written (a fleet is never held at once), a [`Bundle`] holds them, a slice of
/// [`Object`]s was read or made elsewhere. Every object output is offered here, once, and each
/// format has one writer, so the same objects give the same text from any of them.
///
/// ```
/// use igw_monitoring::{Objects, Options};
///
/// let plan = Options::default().plan()?;
/// let bundle = Options::default().build()?;
/// assert_eq!(plan.to_yaml()?, bundle.to_yaml()?);
/// assert_eq!(plan.to_json_list()?, bundle.objects().to_json_list()?);
/// # Ok::<(), igw_monitoring::Error>(())
/// ```
pub trait Objects: sealed::Source {
    /// Multi-document YAML: the generated-by header, fixed object order, sorted keys, one
    /// final newline.
    fn to_yaml(&self) -> Result<String, Error> {
        emit::yaml(self.count(), |sink| self.each(sink))
    }

    /// One Kubernetes `List` in JSON (sorted keys, two-space indent, final newline).
    fn to_json_list(&self) -> Result<String, Error> {
        emit::json_list(self.count(), |sink| self.each(sink))
    }

    /// Terraform HCL: the generated-by header, then one `kubernetes_manifest` resource per
    /// object, named by [`terraform::resource_names`].
    fn to_terraform(&self) -> Result<String, Error> {
        terraform::write(self.count(), |sink| self.each(sink))
    }

    /// The files of a Kustomize base, in a fixed order: objects first, then the kustomization,
    /// its configuration and schema.
    fn kustomize_base(&self) -> Result<Vec<GeneratedFile>, Error> {
        kustomize::files(self.count(), |sink| self.each(sink))
    }
}

impl<T: sealed::Source + ?Sized> Objects for T {}

/// What yields objects is this crate's to say: the writers rely on the order.
mod sealed {
    use super::{Bundle, Error, Object, ObjectSink, Plan};

    /// The objects, in order, and about how many.
    pub trait Source {
        /// About how many objects there are, to size an output once.
        fn count(&self) -> usize;
        /// Hands each object to `sink`, in order.
        fn each(&self, sink: ObjectSink<'_>) -> Result<(), Error>;
    }

    impl Source for Plan {
        fn count(&self) -> usize {
            self.object_count()
        }
        fn each(&self, sink: ObjectSink<'_>) -> Result<(), Error> {
            self.each_object(sink)
        }
    }

    impl Source for Bundle {
        fn count(&self) -> usize {
            self.objects().len()
        }
        fn each(&self, sink: ObjectSink<'_>) -> Result<(), Error> {
            self.each_object(sink)
        }
    }

    impl Source for [Object<'_>] {
        fn count(&self) -> usize {
            self.len()
        }
        fn each(&self, sink: ObjectSink<'_>) -> Result<(), Error> {
            self.iter().try_for_each(|object| sink(object.borrowed()))
        }
    }
}
