export const bucket = secrets.get('BUCKET_SIGNING_KEY');
