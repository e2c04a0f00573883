export * from './raw-event-fuzz';
