//! Buffers for random access: the per-creator tables are scattered into from millions of
//! works, and on a virtual machine the page-table walks cost more than the arithmetic.
//! Asking the kernel for transparent huge pages (where it offers them) removes most of
//! those walks; where it does not, this is an ordinary `Vec`.

/// A vector of `n` copies of `value`, backed by huge pages where the kernel allows it.
pub fn huge_vec<T: Copy>(n: usize, value: T) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(n);
    advise_huge(v.as_mut_ptr() as *mut u8, n * std::mem::size_of::<T>());
    v.resize(n, value);
    v
}

#[cfg(target_os = "linux")]
fn advise_huge(ptr: *mut u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < 2 * HUGE || std::env::var_os("ECOSIM_NO_HUGE").is_some() {
        return;
    }
    let start = (ptr as usize).div_ceil(HUGE) * HUGE;
    let end = (ptr as usize + bytes) / HUGE * HUGE;
    if end > start {
        // SAFETY: the range lies inside an allocation this function's caller owns; the
        // advice changes only how its pages are backed, never their contents.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_ptr: *mut u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    #[test]
    fn huge_vec_is_filled() {
        let v = super::huge_vec(5_000_000, 7u32);
        assert_eq!(v.len(), 5_000_000);
        assert!(v.iter().all(|&x| x == 7));
    }
}
