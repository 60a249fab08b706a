//! `homodyne xpcs --demo`: synthetic laminar-flow data with known truth, fitted in memory
//! or written as an APS-U file with a YAML that fits it (`--write-data DIR`).

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use homodyne::{FitObserver, NoObserver};
use homodyne_xpcs::demo::{DEMO_NOISE, DEMO_TRUTH, DemoDataset};
use homodyne_xpcs::{ModelForm, ScalingMode, XpcsError, XpcsFitOptions};

use super::{converged, fit_failure, fit_on, print_summary, shared_among, write_outputs};
use crate::args::XpcsArgs;
use crate::checks;
use crate::curve::{Failure, Progress};
use crate::processes::Processes;

/// The demo: synthetic laminar-flow data ([`DemoDataset`]), fitted from the Python
/// package's default start, or with `--write-data DIR` written as an APS-U file with a
/// YAML that fits it, without a fit.
pub(super) fn run_demo(args: &XpcsArgs, processes: &Processes) -> Result<(), Failure> {
    let leads = processes.leads();
    let input = |e: XpcsError| Failure::input(e.to_string());
    if args.angles == 0 || args.frames < 2 {
        return Err(Failure::input(format!(
            "--angles must be at least 1 and --frames at least 2 (got {} and {})",
            args.angles, args.frames
        )));
    }
    if let Some(dir) = &args.write_data {
        checks::output_dir("--write-data", dir)?;
    }
    // Before anything is allocated: the memory the data need, and enough points (the
    // fit takes each pair t1 < t2 of each angle once) for 7 + 2 x angles parameters.
    checks::demo_memory(args.angles, args.frames, checks::memory_budget())?;
    let pairs = args.frames * (args.frames - 1) / 2;
    checks::enough_points(
        &format!(
            "--demo with {} angles x {} frames ({} pairs t1 < t2 per angle)",
            args.angles, args.frames, pairs
        ),
        args.angles * pairs,
        7 + 2 * args.angles,
    )?;
    let form = if args.python_compat {
        ModelForm::PythonCompat
    } else {
        ModelForm::Published
    };
    let demo = DemoDataset::generate(args.angles, args.frames, form).map_err(input)?;
    if let Some(dir) = &args.write_data {
        return if leads {
            write_demo_data(dir, &demo)
        } else {
            Ok(())
        };
    }
    let (contrasts, offsets) = (demo.contrasts.clone(), demo.offsets.clone());
    let data = demo.into_fit_data().map_err(input)?;
    let model = DemoDataset::fit_model(&data, ScalingMode::Individual, form).map_err(input)?;
    let layout = *model.layout();
    let truth = layout
        .assemble(&contrasts, &offsets, &DEMO_TRUTH)
        .map_err(input)?;
    if leads {
        println!(
            "homodyne xpcs --demo: laminar flow, {} angles x {} frames = {} points, {} \
             parameters ({} form), noise sigma {DEMO_NOISE}{}",
            args.angles,
            args.frames,
            data.n_points(),
            layout.n_params(),
            form.name(),
            shared_among(processes)
        );
        println!(
            "start: the Python package's defaults (D0 1e4, alpha -1.5, gamma_dot_t0 1e-3, the \
             rest 0), contrasts and offsets estimated from the data"
        );
    }
    let progress = Progress::new();
    let observer: &dyn FitObserver = if leads && !args.quiet && std::io::stderr().is_terminal() {
        &progress
    } else {
        &NoObserver
    };
    let started = Instant::now();
    let fitted = fit_on(
        processes,
        &model,
        &data,
        &XpcsFitOptions::default(),
        observer,
    );
    progress.finish();
    let fitted = fitted.map_err(|e| fit_failure(e, &layout.names()))?;
    let seconds = started.elapsed().as_secs_f64();
    if !leads {
        return converged(&fitted.result);
    }
    print_summary(&layout, &data.phi, &fitted, Some(&truth), seconds);
    if let Some(dir) = &args.output_dir {
        write_outputs(dir, &model, &data, &fitted, None, None, seconds)?;
    }
    converged(&fitted.result)
}

/// `--demo --write-data DIR`: the demo's data as an APS-U file and the YAML that fits
/// it, and the command that does.
fn write_demo_data(dir: &Path, demo: &DemoDataset) -> Result<(), Failure> {
    let started = Instant::now();
    let files = demo
        .write(dir)
        .map_err(|e| Failure::input(format!("the demo data could not be written: {e}")))?;
    let recorded = &demo.recorded;
    println!(
        "homodyne xpcs --demo: laminar flow, {} angles x {} frames of {} s ({} recorded from \
         t = 0; the fit drops t = 0), {} form, noise sigma {DEMO_NOISE}",
        recorded.phi.len(),
        demo.frames(),
        recorded.dt,
        recorded.n_t,
        demo.form.name()
    );
    println!(
        "wrote {} (APS-U layout) and {} (the truth in its comments) in {:.2} s",
        files.data.display(),
        files.config.display(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "fit it with: homodyne xpcs --config {}{} --output-dir results",
        files.config.display(),
        if demo.form == ModelForm::PythonCompat {
            " --python-compat"
        } else {
            ""
        }
    );
    Ok(())
}
