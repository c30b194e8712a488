//! Edits of a rendered kit PDF for tests and benchmarks: the same page
//! without its QR image, or without its text, so each reading path can be
//! exercised alone.

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object};

fn first_page(doc: &Document) -> lopdf::ObjectId {
    *doc.get_pages().values().next().expect("one page")
}

fn resources_mut(doc: &mut Document, page: lopdf::ObjectId) -> &mut Dictionary {
    let res = doc
        .get_dictionary(page)
        .expect("page")
        .get(b"Resources")
        .expect("resources")
        .clone();
    match res {
        Object::Reference(id) => doc.get_dictionary_mut(id).expect("resources dict"),
        _ => doc
            .get_dictionary_mut(page)
            .expect("page")
            .get_mut(b"Resources")
            .expect("resources")
            .as_dict_mut()
            .expect("resources dict"),
    }
}

fn save(mut doc: Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

/// The kit without its images: only the text layer is left to read.
pub fn strip_pdf_images(pdf: &[u8]) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).expect("load");
    let page = first_page(&doc);
    resources_mut(&mut doc, page).remove(b"XObject");
    save(doc)
}

/// The kit without its text: only the QR image is left to read.
pub fn strip_pdf_text(pdf: &[u8]) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).expect("load");
    let page = first_page(&doc);
    let content = doc.get_page_content(page);
    let mut ops = Content::decode(&content).expect("decode").operations;
    ops.retain(|op| matches!(op.operator.as_str(), "q" | "Q" | "cm" | "Do"));
    let bytes = Content { operations: ops }.encode().expect("encode");
    doc.change_page_content(page, bytes).expect("change");
    resources_mut(&mut doc, page).remove(b"Font");
    save(doc)
}

fn first_image_id(doc: &Document) -> lopdf::ObjectId {
    let page = first_page(doc);
    doc.get_page_images(page).expect("images")[0].id
}

/// `target` with its QR image replaced by the one of `donor`.
pub fn transplant_qr_image(target: &[u8], donor: &[u8]) -> Vec<u8> {
    let donor = Document::load_mem(donor).expect("load donor");
    let image = donor
        .get_object(first_image_id(&donor))
        .expect("donor image")
        .clone();
    let mut doc = Document::load_mem(target).expect("load");
    let id = first_image_id(&doc);
    *doc.get_object_mut(id).expect("image") = image;
    save(doc)
}
